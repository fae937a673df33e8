/**
 * The page: picks a checkpoint and a puzzle, hands them to the worker, and draws each segment's
 * board as it arrives. URL parameters preload it: ?model=URL[&yaml=URL][&backend=cpu][&puzzle=...].
 */
import { Rng } from '@hrm-webgpu/tensor';
import { generateSudoku, isValidSolution, parseBoard, solvesPuzzle, type BoxSize, type LoadProgress, type SessionBackend } from '@hrm-webgpu/hrm';
import type { FromWorker, ModelInfo, SegmentMessage, ToWorker } from './protocol.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (message: ToWorker, transfer: Transferable[] = []) => worker.postMessage(message, transfer);

let model: ModelInfo | undefined;
let puzzle: { board: number[]; box: BoxSize } | undefined;
let previous: number[] = [];
/** The first segment where training-mode ACT would stop (q_halt > q_continue). */
let haltedAt: number | undefined;
let solving = false;

function setStatus(text: string, error = false): void {
  const status = $('status');
  status.textContent = text;
  status.className = error ? 'error' : '';
}

function drawGrid(
  board: readonly number[],
  box: BoxSize,
  opts: { given?: readonly number[]; changed?: ReadonlySet<number>; small?: boolean } = {},
): HTMLElement {
  const side = box * box;
  const grid = document.createElement('div');
  grid.className = `grid${opts.small ? ' small' : ''}`;
  grid.style.gridTemplateColumns = `repeat(${side}, auto)`;
  grid.dataset.board = board.join('');
  board.forEach((value, i) => {
    const cell = document.createElement('div');
    const row = Math.floor(i / side);
    const col = i % side;
    cell.className = 'cell';
    if (opts.given && opts.given[i] !== 0) cell.classList.add('given');
    if (opts.changed?.has(i)) cell.classList.add('changed');
    if (col % box === box - 1 && col !== side - 1) cell.classList.add('box-right');
    if (row % box === box - 1 && row !== side - 1) cell.classList.add('box-bottom');
    cell.textContent = value === 0 ? '' : String(value);
    grid.append(cell);
  });
  return grid;
}

function readPuzzle(): void {
  const text = ($('puzzle-text') as HTMLTextAreaElement).value;
  const cells = text
    .split('\n')
    .filter((l) => !l.trim().startsWith('#'))
    .join('')
    .replace(/[\s|+-]/g, '');
  $('puzzle-grid').replaceChildren();
  $('puzzle-error').textContent = '';
  puzzle = undefined;
  if (cells === '') {
    updateSolveButton();
    return;
  }
  try {
    const { board, box } = parseBoard(cells, 'the puzzle');
    puzzle = { board: Array.from(board), box };
    $('puzzle-grid').append(drawGrid(puzzle.board, box, { given: puzzle.board }));
  } catch (e) {
    $('puzzle-error').textContent = (e as Error).message;
  }
  updateSolveButton();
}

function updateSolveButton(): void {
  const fits = model !== undefined && puzzle !== undefined && puzzle.board.length === model.seqLen;
  ($('solve') as HTMLButtonElement).disabled = solving || !fits;
  if (model && puzzle && puzzle.board.length !== model.seqLen) {
    $('puzzle-error').textContent = `this model takes ${model.seqLen} cells, the puzzle has ${puzzle.board.length}`;
  }
}

function randomPuzzle(box: BoxSize): void {
  const seed = Math.floor(Math.random() * 2 ** 31);
  const { puzzle: board } = generateSudoku({ box, targetGivens: box === 2 ? 8 : 30 }, Rng.fromSeed(seed));
  const side = box * box;
  const rows = Array.from({ length: side }, (_, r) => Array.from(board.subarray(r * side, (r + 1) * side), (v) => (v === 0 ? '.' : String(v))).join(''));
  ($('puzzle-text') as HTMLTextAreaElement).value = rows.join('\n');
  readPuzzle();
}

function showProgress({ phase, loaded, total }: LoadProgress): void {
  const bar = $('load-progress') as HTMLProgressElement;
  if (total) {
    bar.max = total;
    bar.value = loaded;
  } else bar.removeAttribute('value');
  const amount = phase === 'build' ? `${loaded}/${total ?? '?'} tensors` : `${(loaded / 1e6).toFixed(2)}${total ? ` of ${(total / 1e6).toFixed(2)}` : ''} MB`;
  setStatus(`${phase === 'download' ? 'Reading' : phase === 'parse' ? 'Decoding' : 'Building the model:'} ${amount}`);
}

async function load(source: string | File, yaml?: string | File): Promise<void> {
  model = undefined;
  updateSolveButton();
  setStatus('Loading...');
  try {
    const configYaml = yaml === undefined ? undefined : typeof yaml === 'string' ? await (await fetch(yaml)).text() : await yaml.text();
    const backend = ($('backend') as HTMLSelectElement).value as SessionBackend;
    if (typeof source === 'string')
      send({ type: 'load', source: new URL(source, location.href).href, backend, name: source, ...(configYaml ? { configYaml } : {}) });
    else {
      const bytes = await source.arrayBuffer();
      send({ type: 'load', source: bytes, backend, name: source.name, ...(configYaml ? { configYaml } : {}) }, [bytes]);
    }
  } catch (e) {
    setStatus(`Cannot load: ${(e as Error).message}`, true);
  }
}

function startSolve(): void {
  if (!puzzle || !model) return;
  solving = true;
  updateSolveButton();
  previous = puzzle.board;
  haltedAt = undefined;
  $('segments').replaceChildren();
  $('answer-grid').replaceChildren();
  $('answer-status').textContent = 'Solving...';
  $('answer-panel').dataset.done = 'false';
  send({ type: 'solve', board: puzzle.board });
}

function showSegment(s: SegmentMessage): void {
  if (!puzzle) return;
  const changed = new Set<number>();
  s.board.forEach((v, i) => v !== previous[i] && changed.add(i));
  previous = s.board;
  const halts = s.wouldHalt && haltedAt === undefined;
  if (halts) haltedAt = s.segment;
  const card = document.createElement('div');
  card.className = `segment${halts ? ' halt' : ''}`;
  card.dataset.segment = String(s.segment);
  const title = document.createElement('h3');
  title.innerHTML = `<span>Segment ${s.segment}</span><span>${changed.size} changed</span>`;
  const bar = document.createElement('div');
  bar.className = 'qbar';
  bar.innerHTML = `<div style="width:${(100 * s.haltProbability).toFixed(1)}%"></div>`;
  const text = document.createElement('div');
  text.className = 'qtext';
  text.textContent = `q_halt ${s.haltProbability.toFixed(3)} (Q halt ${s.qHaltLogit.toFixed(2)}, continue ${s.qContinueLogit.toFixed(2)})${halts ? ' - ACT halts here' : ''}`;
  card.append(title, drawGrid(s.board, puzzle.box, { given: puzzle.board, changed, small: puzzle.box === 3 }), bar, text);
  $('segments').append(card);
}

function showAnswer(ms: number): void {
  if (!puzzle) return;
  const board = Int32Array.from(previous);
  const valid = isValidSolution(board, puzzle.box) && solvesPuzzle(Int32Array.from(puzzle.board), board);
  $('answer-grid').replaceChildren(drawGrid(previous, puzzle.box, { given: puzzle.board }));
  $('answer-status').innerHTML =
    `<span class="${valid ? 'ok' : 'bad'}">${valid ? 'A valid solution' : 'Not a valid solution'}</span> after ${$('segments').childElementCount} segments${haltedAt !== undefined ? ` (ACT would stop after segment ${haltedAt})` : ''}, ${ms.toFixed(0)} ms on ${model?.backend}.`;
  $('answer-panel').dataset.done = 'true';
  solving = false;
  updateSolveButton();
}

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const message = event.data;
  switch (message.type) {
    case 'progress':
      return showProgress(message.progress);
    case 'loaded':
      model = message.info;
      setStatus(`Loaded: ${model.parameters}; ${model.seqLen} cells, up to ${model.haltMaxSteps} segments.`);
      $('adapter').textContent = `Backend: ${model.backend}, ${model.adapter}`;
      $('adapter').dataset.backend = model.backend;
      Object.assign($('load-progress'), { max: 1, value: 1 });
      return updateSolveButton();
    case 'segment':
      return showSegment(message.segment);
    case 'solved':
      return showAnswer(message.ms);
    case 'error':
      solving = false;
      setStatus(message.message, true);
      $('answer-status').textContent = '';
      return updateSolveButton();
  }
};

$('weights-file').addEventListener('change', () => {
  const file = ($('weights-file') as HTMLInputElement).files?.[0];
  const yaml = ($('yaml-file') as HTMLInputElement).files?.[0];
  if (file) void load(file, yaml);
});
$('yaml-file').addEventListener('change', () => {
  const file = ($('weights-file') as HTMLInputElement).files?.[0];
  const yaml = ($('yaml-file') as HTMLInputElement).files?.[0];
  if (file) void load(file, yaml);
});
$('load-url').addEventListener('click', () => {
  const url = ($('model-url') as HTMLInputElement).value.trim();
  if (url) void load(url);
});
$('puzzle-text').addEventListener('input', readPuzzle);
$('random-4').addEventListener('click', () => randomPuzzle(2));
$('random-9').addEventListener('click', () => randomPuzzle(3));
$('solve').addEventListener('click', startSolve);

const params = new URLSearchParams(location.search);
const backendParam = params.get('backend');
if (backendParam) ($('backend') as HTMLSelectElement).value = backendParam;
const puzzleParam = params.get('puzzle');
if (puzzleParam) {
  ($('puzzle-text') as HTMLTextAreaElement).value = puzzleParam;
  readPuzzle();
}
const modelParam = params.get('model');
if (modelParam) {
  ($('model-url') as HTMLInputElement).value = modelParam;
  void load(modelParam, params.get('yaml') ?? undefined);
}
