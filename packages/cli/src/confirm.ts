import { createInterface } from 'node:readline';

/**
 * JuiceFS's "Proceed anyway? [y/N]: " (cmd/config.go userConfirmed): a line read from stdin,
 * y or yes goes ahead, n, no or an empty line does not, anything else asks again; the end of the
 * input (no terminal, nothing piped) is a no. Reading stdin rather than refusing outright lets
 * `echo y | juicefs destroy ...` and a person at a terminal answer, as they can with JuiceFS.
 * The question goes to stdout, as JuiceFS prints it.
 */
export async function userConfirmed(
  input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream = process.stdout,
): Promise<boolean> {
  output.write('Proceed anyway? [y/N]: ');
  const lines = createInterface({ input, terminal: false });
  try {
    for await (const line of lines) {
      const answer = line.trim().toLowerCase();
      if (answer === 'y' || answer === 'yes') return true;
      if (answer === '' || answer === 'n' || answer === 'no') return false;
      output.write('Please input y(yes) or n(no): ');
    }
    output.write('\n');
    return false;
  } finally {
    lines.close();
  }
}

/** JuiceFS's warning line before a question (yellow there; this client prints no colours). */
export function warnLine(message: string, output: NodeJS.WritableStream = process.stdout): void {
  output.write(`WARNING: ${message}\n`);
}
