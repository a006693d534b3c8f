// Event lines of the long-running commands (landmark, agent): `event key=value …` for people, or
// one JSON object per line with --json for machines.

export type Say = (event: string, fields: Record<string, unknown>) => void;

export function eventLogger(
  out: NodeJS.WritableStream,
  json: boolean,
  base: Record<string, unknown> = {},
): Say {
  return (event, fields) => {
    if (json) {
      out.write(`${JSON.stringify({ event, ...base, ...fields })}\n`);
      return;
    }
    const text = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    out.write(`${event} ${text}\n`);
  };
}
