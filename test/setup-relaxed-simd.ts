// Every test file sees the WebAssembly features a program using the node entry sees (relaxed
// SIMD's fused multiply-add included), whichever file a forked worker ran before it.
import { enableRelaxedSimd } from '@hrm-webgpu/tensor/node';

enableRelaxedSimd();
