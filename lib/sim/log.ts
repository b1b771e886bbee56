/** JSON-lines logger of gwlb-sim (stdout). */
import { SIM_LOG_LEVELS, SimLogLevel } from './config';

export class SimLog {
  private readonly min: number;

  constructor(level: SimLogLevel, private readonly out: (line: string) => void = (l) => process.stdout.write(l)) {
    this.min = SIM_LOG_LEVELS.indexOf(level);
  }

  enabled(level: SimLogLevel): boolean {
    return SIM_LOG_LEVELS.indexOf(level) >= this.min;
  }

  debug(msg: string, fields: Record<string, unknown> = {}): void {
    this.write('debug', msg, fields);
  }

  info(msg: string, fields: Record<string, unknown> = {}): void {
    this.write('info', msg, fields);
  }

  warn(msg: string, fields: Record<string, unknown> = {}): void {
    this.write('warn', msg, fields);
  }

  error(msg: string, fields: Record<string, unknown> = {}): void {
    this.write('error', msg, fields);
  }

  private write(level: SimLogLevel, msg: string, fields: Record<string, unknown>): void {
    if (!this.enabled(level)) return;
    this.out(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields }) + '\n');
  }
}
