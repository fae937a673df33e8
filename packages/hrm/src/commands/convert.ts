/** `hrm convert`: any checkpoint this CLI reads -> a safetensors file with its configuration stored. */
import type { Command } from './main.js';
import { writeModelCheckpoint } from '../train/checkpoint-files.js';
import { parseFlags, stringFlag, UsageError } from './args.js';
import { loadModel } from '../node/load-model.js';

const usage = `Usage: hrm convert CHECKPOINT OUT.safetensors [--config FILE]

Writes a checkpoint as safetensors under the official keys (model.inner.*, f32; bf16 and f16
tensors widened exactly) with its configuration in the metadata, so that it loads anywhere
without a separate configuration (in a web page, for example).

CHECKPOINT is a safetensors file, a torch.save state dict (any official key prefix), or a folder
holding the official release layout: 'checkpoint' beside 'all_config.yaml'.

  --config FILE    configuration (JSON with the official names, or all_config.yaml) for
                   checkpoints that have none with them`;

export const convertCommand: Command = {
  usage,
  async run(argv) {
    const flags = parseFlags(argv, { config: { type: 'string' } }, true);
    const [input, out, ...extra] = flags.positionals;
    if (input === undefined || out === undefined) throw new UsageError('give the checkpoint and the output file');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    if (!out.endsWith('.safetensors')) throw new UsageError(`the output file must end in .safetensors, got '${out}'`);
    // Loading into a model checks every key and shape; the CPU backend holds the weights.
    const { initBackend } = await import('@hrm-webgpu/tensor/node');
    await initBackend('cpu');
    const { model, config, step } = await loadModel(input, stringFlag(flags, 'config'));
    await writeModelCheckpoint(out, model, config, step);
    console.log(`${input} -> ${out} (${model.stateDict('').size} tensors)`);
  },
};
