// Backend choice: 'auto' falls back to the CPU path exactly when WebGPU is missing, has no adapter, or only a
// software fallback adapter; explicit choices are honoured; a CPU-less browser keeps the GPU error.
import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../gpu/context.js';
import { GpuError } from '../gpu/errors.js';
import { chooseBackend } from './backend-choice.js';

const ctxWith = (isFallback: boolean) =>
  ({ adapterInfo: { vendor: 'google', architecture: isFallback ? 'swiftshader' : 'ampere', device: '', description: '', isFallback } }) as GpuContext;
const ok = (isFallback: boolean) => async () => ctxWith(isFallback);
const fail = (code: 'NO_WEBGPU' | 'NO_ADAPTER') => async (): Promise<GpuContext> => {
  throw new GpuError(code, code);
};

describe('chooseBackend', () => {
  it.each([
    ['auto', ok(false), true, 'webgpu'],
    ['auto', ok(true), true, 'cpu'],
    ['auto', ok(true), false, 'webgpu'],
    ['auto', fail('NO_WEBGPU'), true, 'cpu'],
    ['auto', fail('NO_ADAPTER'), true, 'cpu'],
    ['webgpu', ok(true), true, 'webgpu'],
    ['cpu', ok(false), true, 'cpu'],
  ] as const)('%s with %s, cpu available %s -> %s', async (request, gpu, cpu, expected) => {
    const choice = await chooseBackend(request, gpu, cpu);
    expect(choice.backend).toBe(expected);
    expect(choice.reason.length).toBeGreaterThan(5);
  });

  it('keeps the GPU error when neither path can run, and when webgpu is forced', async () => {
    await expect(chooseBackend('auto', fail('NO_WEBGPU'), false)).rejects.toMatchObject({ code: 'NO_WEBGPU' });
    await expect(chooseBackend('webgpu', fail('NO_ADAPTER'), true)).rejects.toMatchObject({ code: 'NO_ADAPTER' });
    await expect(chooseBackend('cpu', ok(false), false)).rejects.toMatchObject({ code: 'NO_WEBGPU' });
  });
});
