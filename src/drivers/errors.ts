import { SlipwayError } from '../core/errors.js';

/**
 * A driver method exists on the port but this instance's options do not enable it (e.g. the
 * `command` driver without a `status` argv). The port's optional members are per driver, not per
 * service, so a driver throws this coded error instead of pretending: callers treat it as "this
 * capability is not configured", never as "unhealthy".
 */
export class DriverUnsupportedError extends SlipwayError {
  override readonly code = 'driver_unsupported';
  override readonly status = 501;
}
