// WGSL kernels are imported as text (tsup's text loader; a vite plugin in tests).
declare module '*.wgsl' {
  const source: string;
  export default source;
}
