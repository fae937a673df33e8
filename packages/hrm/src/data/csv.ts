/**
 * The `source,question,answer,rating` CSV of the official Sudoku-Extreme and Maze-Hard
 * releases, read lazily line by line (the full Sudoku-Extreme train.csv has 3.8M rows). Fields
 * never contain commas, so rows are split plainly; errors name file and line.
 */

export interface PuzzleCsvRow {
  source: string;
  question: string;
  answer: string;
  rating: number;
  /** 1-based line number in the file. */
  line: number;
}

export function* parsePuzzleCsv(lines: Iterable<string>, file: string): Generator<PuzzleCsvRow> {
  let lineNumber = 0;
  for (const raw of lines) {
    lineNumber++;
    const line = raw.replace(/\r$/, '');
    if (lineNumber === 1) {
      if (line.trim() !== 'source,question,answer,rating') {
        throw new Error(`${file}:1: expected the header 'source,question,answer,rating', found '${line}'`);
      }
      continue;
    }
    if (line.trim() === '') continue;
    const fields = line.split(',');
    if (fields.length !== 4) throw new Error(`${file}:${lineNumber}: expected 4 fields, found ${fields.length}`);
    const [source, question, answer, ratingText] = fields as [string, string, string, string];
    const rating = Number(ratingText);
    if (ratingText.trim() === '' || !Number.isFinite(rating)) throw new Error(`${file}:${lineNumber}: rating '${ratingText}' is not a number`);
    if (question.length !== answer.length) {
      throw new Error(`${file}:${lineNumber}: question has ${question.length} characters, answer ${answer.length}`);
    }
    yield { source, question, answer, rating, line: lineNumber };
  }
  if (lineNumber === 0) throw new Error(`${file}: empty file (expected the header 'source,question,answer,rating')`);
}
