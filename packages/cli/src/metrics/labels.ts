import { fsError } from '@juicefs/core';

/** `--custom-labels` as JuiceFS writes it: `KEY:VALUE;KEY:VALUE`, keys valid Prometheus label names. */
export function parseCustomLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(';').map((p) => p.trim()).filter(Boolean)) {
    const at = pair.indexOf(':');
    const key = at < 0 ? pair : pair.slice(0, at).trim();
    if (at < 0 || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(key)) {
      throw fsError('EINVAL', `--custom-labels: "${pair}" is not KEY:VALUE with a label name of letters, digits and _ (e.g. --custom-labels "env:prod;team:ml")`);
    }
    labels[key] = pair.slice(at + 1).trim();
  }
  return labels;
}
