/** `hrm inspect`: a checkpoint's configuration, trainable parameter count and tensor list. */
import type { Command } from './main.js';
import { describeCheckpoint } from '../train/checkpoint-files.js';
import { boolFlag, parseFlags, UsageError } from './args.js';

const usage = `Usage: hrm inspect CHECKPOINT [--json]

Prints the configuration stored with a checkpoint (step_N.safetensors), its trainable parameter
count (the puzzle-embedding table and the H_init/L_init buffers excluded, as in the reference)
and every tensor with its shape and dtype. Official checkpoints are read as well: a torch.save
file, or the release folder holding checkpoint + all_config.yaml (the configuration then comes
from the YAML and the weights' shapes).

  --json    print the same as one JSON object`;

export const inspectCommand: Command = {
  usage,
  async run(argv) {
    const flags = parseFlags(argv, { json: { type: 'boolean' } }, true);
    const [file, ...extra] = flags.positionals;
    if (file === undefined) throw new UsageError('missing the checkpoint file');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const info = await describeCheckpoint(file);
    if (boolFlag(flags, 'json')) {
      console.log(JSON.stringify(info, null, 2));
      return;
    }
    console.log(`checkpoint ${file}${info.step !== undefined ? ` (step ${info.step})` : ''}`);
    console.log(`key prefix: ${info.prefix === '' ? '(none)' : info.prefix}`);
    console.log(info.config ? `configuration:\n${JSON.stringify(info.config, null, 2)}` : 'configuration: not stored in this file');
    console.log(`trainable parameters: ${info.trainableParameters.toLocaleString('en-US')}`);
    console.log(`tensors (${info.tensors.length}):`);
    const width = Math.max(...info.tensors.map((t) => t.name.length));
    for (const t of info.tensors) console.log(`  ${t.name.padEnd(width)}  ${t.dtype.padEnd(4)}  [${t.shape.join(', ')}]`);
  },
};
