/**
 * The WebGPU device of the wgsl engine: Dawn through the optional `webgpu`
 * package (dawn.node). It keeps the counters a benchmark prints (dispatches,
 * submits, bytes written and read back) and turns a lost device into an
 * error that the training loop reports as a failed run.
 */
/// <reference types="@webgpu/types" />
import { F32, type Variant } from './variant.js';

export interface GpuCounters {
  dispatches: number;
  submits: number;
  bytesWritten: number;
  bytesRead: number;
}

export interface AdapterSummary {
  /** vendor / architecture / device / description, as Dawn reports them. */
  name: string;
  /** A software rasterizer (lavapipe, SwiftShader) or Dawn's null backend: never chosen by `auto`. */
  cpu: boolean;
  features: string[];
  backend: string;
}

export interface OpenOptions {
  /** dawn.node flags, e.g. `backend=null`, `enable-dawn-features=allow_unsafe_apis`. */
  flags?: string[];
  /** Bake shapes into the WGSL (kernel.ts `specialize`); default: on a real GPU only. */
  specialize?: boolean;
  /** Bind less than the device allows (tests of the batch that fits; WebGPU never lowers a limit below its default). */
  maxBindingBytes?: number;
  /** The kernel variant plans use (see `chooseVariant`); default GRAPHEME_WGSL_PRECISION, else `auto`. */
  precision?: string;
}

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

// A variable specifier keeps tsc from resolving a package that may be absent.
const optionalImport = (name: string): Promise<unknown> => import(name);

export class GpuContext {
  readonly counters: GpuCounters = { dispatches: 0, submits: 0, bytesWritten: 0, bytesRead: 0 };
  /** Set when the device is lost; every later step throws it. */
  lost: string | null = null;
  private destroying = false;
  /** Shapes as WGSL literals (one pipeline per layer shape) instead of uniforms. */
  specialize: boolean;
  /** The largest buffer a plan may bind: the device's limit unless told less. */
  maxBinding: number;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** What the device was opened with (every variant's kernels compile on it). */
  readonly offered: Variant;
  /** The variant the plans built on this context use: f32 unless chosen otherwise. */
  variant: Variant = F32;

  constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterSummary,
    // dawn.node lives as long as the GPU object is referenced.
    private readonly gpu: GPU,
    specialize?: boolean,
    maxBinding?: number,
  ) {
    this.offered = { f16: device.features.has('shader-f16'), subgroups: device.features.has('subgroups') };
    this.specialize = specialize ?? !adapter.cpu;
    this.maxBinding = Math.min(maxBinding ?? Infinity, device.limits.maxStorageBufferBindingSize);
    // A driver reset, a removed GPU, or anything else that destroys the device behind our back.
    void device.lost.then((info) => {
      if (!this.destroying)
        this.lost = `the GPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ''})`;
    });
  }

  /**
   * One pipeline per distinct WGSL text: layers of the same shape share it. The layout is explicit
   * (bindings 0 and 1 uniforms, then storage buffers), so a binding the compiler finds unused stays valid.
   */
  pipeline(label: string, code: string, access: readonly ('read' | 'rw')[]): GPUComputePipeline {
    let p = this.pipelines.get(code);
    if (!p) {
      const entries: GPUBindGroupLayoutEntry[] = [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
        { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
        ...access.map((a, i) => ({
          binding: i + 2,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: (a === 'read' ? 'read-only-storage' : 'storage') as GPUBufferBindingType },
        })),
      ];
      const layout = this.device.createPipelineLayout({
        bindGroupLayouts: [this.device.createBindGroupLayout({ label, entries })],
      });
      const module = this.device.createShaderModule({ label, code });
      p = this.device.createComputePipeline({ label, layout, compute: { module, entryPoint: 'main' } });
      this.pipelines.set(code, p);
    }
    return p;
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  buffer(label: string, bytes: number, usage = GPUBufferUsage.STORAGE): GPUBuffer {
    // Bindings need a non-zero size that is a multiple of 4.
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    return this.device.createBuffer({
      label,
      size,
      usage: usage | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
    });
  }

  write(buffer: GPUBuffer, data: Float32Array | Uint32Array | Int32Array, offsetBytes = 0): void {
    this.device.queue.writeBuffer(buffer, offsetBytes, data.buffer, data.byteOffset, data.byteLength);
    this.counters.bytesWritten += data.byteLength;
  }

  /** Copies a buffer range back to the host (outside a training step: checkpoints and tests). */
  async read(buffer: GPUBuffer, bytes: number, offsetBytes = 0): Promise<Float32Array> {
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(buffer, offsetBytes, staging, 0, size);
    this.device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ).catch((err) => this.explainFailure(err));
    const out = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    this.counters.bytesRead += size;
    this.throwIfLost();
    return out;
  }

  throwIfLost(): void {
    if (this.lost) throw new Error(this.lost);
  }

  /** Waits (briefly) for a loss to be reported, then throws it; for errors that may come from one. */
  async explainFailure(err: unknown): Promise<never> {
    await Promise.race([this.device.lost, new Promise((r) => setTimeout(r, 1000))]);
    await new Promise((r) => setImmediate(r));
    throw new Error(this.lost ?? `GPU work failed: ${err instanceof Error ? err.message : String(err)}`);
  }

  destroy(): void {
    this.destroying = true;
    this.device.destroy();
    void this.gpu;
  }
}

/** A CPU implementation of WebGPU (lavapipe, SwiftShader): fine for checks, slower than the CPU engines. */
export function softwareAdapter(name: string, info: object): boolean {
  return (
    /llvmpipe|lavapipe|swiftshader|software/i.test(name) ||
    (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true
  );
}

function summarize(adapter: GPUAdapter, flags: string[]): AdapterSummary {
  const info = adapter.info;
  const name = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'GPU';
  const backend = flags.find((f) => f.startsWith('backend='))?.slice(8) ?? 'default';
  return {
    name,
    cpu: softwareAdapter(name, info) || backend === 'null',
    features: [...adapter.features].sort(),
    backend,
  };
}

/** The adapter's limits that bound one plan's buffers; requested in full (the defaults are smaller). */
const LIMITS = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize'] as const;

/** Device features the variants need, requested whenever the adapter offers them. */
const VARIANT_FEATURES = ['shader-f16', 'subgroups'] as const;
const PRECISION_WORDS = ['auto', 'f32', 'f16', 'subgroups'] as const;

/**
 * The variant for `precision`: `auto` takes all the device offers, `f32` the reference kernels,
 * `f16` and/or `subgroups` (comma-separated) just those, and naming one the device lacks is an error.
 */
export function chooseVariant(precision: string, offered: Variant, adapter: string): Variant {
  const words = precision.split(',').map((w) => w.trim().toLowerCase());
  for (const w of words)
    if (!(PRECISION_WORDS as readonly string[]).includes(w))
      throw new Error(`GRAPHEME_WGSL_PRECISION: '${w}' is not one of ${PRECISION_WORDS.join(', ')}`);
  if (words.includes('auto')) return { ...offered };
  if (words.includes('f32')) return F32;
  const want = { f16: words.includes('f16'), subgroups: words.includes('subgroups') };
  if (want.f16 && !offered.f16) throw new Error(`f16 kernels were asked for, but ${adapter} does not offer shader-f16`);
  if (want.subgroups && !offered.subgroups)
    throw new Error(`subgroup kernels were asked for, but ${adapter} does not offer subgroups`);
  return want;
}

/** Opens Dawn and one device; throws a message naming what is missing. */
export async function openGpu(options: OpenOptions = {}): Promise<GpuContext> {
  const flags = options.flags ?? [];
  let dawn: DawnModule;
  try {
    dawn = (await optionalImport('webgpu')) as DawnModule;
  } catch (err) {
    throw new Error(`the optional webgpu package (dawn.node) does not load: ${(err as Error).message.split('\n')[0]}`);
  }
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create(flags);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error(`Dawn found no GPU adapter${flags.length ? ` (flags ${flags.join(' ')})` : ''}`);
  const requiredLimits: Record<string, number> = {};
  for (const k of LIMITS) requiredLimits[k] = adapter.limits[k];
  // Cast: the @webgpu/types copy that tfjs-core pins (0.1.38, what npm ci installs) predates 'subgroups'.
  const requiredFeatures = VARIANT_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const env = process.env.GRAPHEME_WGSL_SPECIALIZE;
  const specialize = options.specialize ?? (env === undefined || env === '' ? undefined : env === '1');
  const ctx = new GpuContext(device, summarize(adapter, flags), gpu, specialize, options.maxBindingBytes);
  try {
    ctx.variant = chooseVariant(
      options.precision ?? (process.env.GRAPHEME_WGSL_PRECISION || 'auto'),
      ctx.offered,
      ctx.adapter.name,
    );
  } catch (err) {
    ctx.destroy();
    throw err;
  }
  return ctx;
}
