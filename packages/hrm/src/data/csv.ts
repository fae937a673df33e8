/**
 * The `source,question,answer,rating` CSV of the official Sudoku-Extreme and Maze-Hard
 * releases. Fields never contain commas, so rows are split plainly; errors name file and line.
 */

export interface PuzzleCsvRow {
  source: string;
  question: string;
  answer: string;
  rating: number;
  /** 1-based line number in the file. */
  line: number;
}

export function parsePuzzleCsv(text: string, file: string): PuzzleCsvRow[] {
  const lines = text.split(/\r?\n/);
  const header = lines[0]?.trim();
  if (header !== 'source,question,answer,rating') {
    throw new Error(`${file}:1: expected the header 'source,question,answer,rating', found '${header ?? ''}'`);
  }
  const rows: PuzzleCsvRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const fields = line.split(',');
    if (fields.length !== 4) throw new Error(`${file}:${i + 1}: expected 4 fields, found ${fields.length}`);
    const [source, question, answer, ratingText] = fields as [string, string, string, string];
    const rating = Number(ratingText);
    if (!Number.isFinite(rating)) throw new Error(`${file}:${i + 1}: rating '${ratingText}' is not a number`);
    if (question.length !== answer.length) {
      throw new Error(`${file}:${i + 1}: question has ${question.length} characters, answer ${answer.length}`);
    }
    rows.push({ source, question, answer, rating, line: i + 1 });
  }
  return rows;
}
