/**
 * The `hrm` command's dispatch: one module per subcommand, loaded on demand. Every subcommand
 * prints its own usage with --help; usage mistakes exit with code 2, other failures with code 1.
 */
import { version } from '../../package.json';
import { UsageError } from './args.js';

export interface Command {
  usage: string;
  run(argv: string[]): Promise<void>;
}

const commands: Record<string, () => Promise<Command>> = {
  train: async () => (await import('./train.js')).trainCommand,
  eval: async () => (await import('./eval.js')).evalCommand,
  solve: async () => (await import('./solve.js')).solveCommand,
  demo: async () => (await import('./demo.js')).demoCommand,
  inspect: async () => (await import('./inspect.js')).inspectCommand,
  trace: async () => (await import('./trace.js')).traceCommand,
  convert: async () => (await import('./convert.js')).convertCommand,
  data: async () => ({
    usage: 'hrm data build|show ... (hrm data --help for details)',
    run: async (argv: string[]) => {
      const { runDataCommand } = await import('./data.js');
      await runDataCommand(argv);
    },
  }),
};

const summaries: Record<string, string> = {
  train: 'train an HRM (task preset, config JSON or flags) and write checkpoints, logs and a plot',
  eval: 'evaluate a checkpoint on a dataset and write a JSON report',
  solve: 'solve one puzzle and show every segment of reasoning',
  demo: 'train a small HRM on 4x4 Sudoku, evaluate it and solve a puzzle',
  inspect: "print a checkpoint's configuration, parameter count and tensors",
  trace: "write a checkpoint's per-segment outputs (or one training step's gradients) for comparison",
  convert: 'write any checkpoint (torch.save file, official folder) as safetensors with its configuration',
  data: 'build and show datasets (Sudoku, Maze, ARC)',
};

function mainUsage(): string {
  const width = Math.max(...Object.keys(summaries).map((k) => k.length));
  const lines = Object.entries(summaries).map(([name, text]) => `  ${name.padEnd(width)}  ${text}`);
  return ['Usage: hrm <command> [flags]   (hrm --version prints the version)', '', 'Commands:', ...lines, '', 'Run `hrm <command> --help` for its flags.'].join(
    '\n',
  );
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v') {
    console.log(`hrm ${version}`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(mainUsage());
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  if (!load) {
    console.error(`hrm: unknown command '${name}'\n\n${mainUsage()}`);
    return 2;
  }
  const command = await load();
  if (name !== 'data' && (rest.includes('--help') || rest.includes('-h'))) {
    console.log(command.usage);
    return 0;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`hrm ${name}: ${e.message}\n\n${command.usage}`);
      return 2;
    }
    console.error(`hrm ${name}: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.HRM_DEBUG) console.error(e);
    // An error may carry its own code (a run stopped by SIGINT exits with 130).
    const code = (e as { exitCode?: unknown }).exitCode;
    return typeof code === 'number' && Number.isInteger(code) && code > 0 ? code : 1;
  }
}
