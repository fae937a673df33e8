/**
 * Compiled compute pipelines, cached by (kernel name, preprocessed source, override constants).
 *
 * Every kernel uses one bind group laid out by convention: bindings 0..inputs-1 are read-only
 * storage, then the outputs as read-write storage, then (optionally) one uniform buffer. The
 * layout is explicit, so a shader may leave a binding unused without breaking the pipeline. The
 * uniform binding has a dynamic offset (see bind-groups.ts).
 * Compile errors arrive asynchronously; they are handed to `onError` with the kernel's name.
 */
import { envFlag } from './env.js';
import { ShaderStage } from './gpu-flags.js';
import { preprocess, type Defines } from './preprocess.js';

export interface KernelSource {
  /** Kernel name: part of the cache key, the GPU label in error messages, and the profile key. */
  name: string;
  /** WGSL, possibly with `${NAME}` placeholders and `#if` lines (see preprocess.ts). */
  source: string;
  defines?: Defines;
  /** WGSL `override` constants. */
  overrides?: Readonly<Record<string, number>>;
  /** Default 'main'. */
  entryPoint?: string;
}

export interface BindingCounts {
  inputs: number;
  outputs: number;
  uniforms: boolean;
}

export interface CompiledKernel {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

export class PipelineCache {
  /** Fast path: template string -> (name, defines, overrides, layout) key -> kernel. */
  private readonly byTemplate = new Map<string, Map<string, CompiledKernel>>();
  /** Pipelines by final source, so defines that expand to the same WGSL share one pipeline. */
  private readonly byFinalSource = new Map<string, CompiledKernel>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private readonly debug = envFlag('HRM_DEBUG_SHADERS');
  private compileChecks: Promise<void>[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Resolves once every compile check so far has reported (errors go to onError). */
  async settled(): Promise<void> {
    const checks = this.compileChecks;
    this.compileChecks = [];
    await Promise.all(checks);
  }

  get size(): number {
    return this.byFinalSource.size;
  }

  get(kernel: KernelSource, counts: BindingCounts): CompiledKernel {
    const layoutKey = `${counts.inputs}/${counts.outputs}/${counts.uniforms ? 1 : 0}`;
    const key = `${kernel.name}|${kernel.entryPoint ?? 'main'}|${layoutKey}|${JSON.stringify(kernel.defines ?? {})}|${JSON.stringify(kernel.overrides ?? {})}`;
    let perTemplate = this.byTemplate.get(kernel.source);
    if (!perTemplate) this.byTemplate.set(kernel.source, (perTemplate = new Map()));
    const cached = perTemplate.get(key);
    if (cached) return cached;

    const code = preprocess(kernel.source, kernel.defines);
    const finalKey = `${kernel.name}|${kernel.entryPoint ?? 'main'}|${layoutKey}|${JSON.stringify(kernel.overrides ?? {})}\n${code}`;
    const compiled = this.byFinalSource.get(finalKey) ?? this.compile(kernel, code, counts, layoutKey);
    this.byFinalSource.set(finalKey, compiled);
    perTemplate.set(key, compiled);
    return compiled;
  }

  private compile(kernel: KernelSource, code: string, counts: BindingCounts, layoutKey: string): CompiledKernel {
    if (this.debug) {
      const params = JSON.stringify({ defines: kernel.defines ?? {}, overrides: kernel.overrides ?? {} });
      console.log(`[hrm] WGSL kernel '${kernel.name}' ${params}\n${code}`);
    }
    const layout = this.layout(counts, layoutKey);
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ label: kernel.name, code });
    const pipeline = this.device.createComputePipeline({
      label: kernel.name,
      layout: this.device.createPipelineLayout({ label: kernel.name, bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: kernel.entryPoint ?? 'main', constants: kernel.overrides ?? {} },
    });
    const check = this.device.popErrorScope().then(async (error) => {
      if (!error) return;
      const info = await module.getCompilationInfo();
      const messages = info.messages.map((m) => `  line ${m.lineNum}:${m.linePos} ${m.type}: ${m.message}`).join('\n');
      this.onError(new Error(`WGSL kernel '${kernel.name}' failed to build: ${error.message}${messages ? `\n${messages}` : ''}`));
    });
    this.compileChecks.push(check);
    return { pipeline, layout };
  }

  private layout(counts: BindingCounts, key: string): GPUBindGroupLayout {
    const existing = this.layouts.get(key);
    if (existing) return existing;
    const entries: GPUBindGroupLayoutEntry[] = [];
    const visibility = ShaderStage.COMPUTE;
    for (let i = 0; i < counts.inputs; i++) entries.push({ binding: i, visibility, buffer: { type: 'read-only-storage' } });
    for (let i = 0; i < counts.outputs; i++) entries.push({ binding: counts.inputs + i, visibility, buffer: { type: 'storage' } });
    if (counts.uniforms) {
      entries.push({ binding: counts.inputs + counts.outputs, visibility, buffer: { type: 'uniform', hasDynamicOffset: true } });
    }
    const layout = this.device.createBindGroupLayout({ label: `bindings ${key}`, entries });
    this.layouts.set(key, layout);
    return layout;
  }
}
