// Local commands of the lab, through zx (every interpolated value is quoted by zx).
import { $ } from 'zx';

/** Runs quietly; a non-zero exit rejects with the command's output. */
export const sh = $({ quiet: true });
/** Runs quietly and resolves whatever the exit code. */
export const shTry = $({ quiet: true, nothrow: true });
