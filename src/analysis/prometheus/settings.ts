import { ConfigError } from '../../core/errors.js';
import { secretFrom } from '../../core/secrets.js';

export interface PrometheusConnection {
  url: string;
  token?: string;
}

/**
 * Where an analysis asks: its own `prometheus.url`, else PROMETHEUS_URL. The bearer token
 * comes only from PROMETHEUS_TOKEN or the file PROMETHEUS_TOKEN_FILE names (a mounted
 * Secret), never from slipway.yaml.
 */
export function prometheusConnection(
  configUrl: string | null,
  env: NodeJS.ProcessEnv = process.env,
): PrometheusConnection {
  const url = configUrl ?? env.PROMETHEUS_URL?.trim();
  if (!url) {
    throw new ConfigError(
      'No Prometheus to ask: set analysis.prometheus.url in slipway.yaml, or PROMETHEUS_URL (e.g. http://prometheus.monitoring:9090).',
    );
  }
  if (!/^https?:\/\/[^\s/]/.test(url)) {
    throw new ConfigError(
      `PROMETHEUS_URL is "${url}", not an http(s) URL: write it like http://prometheus.monitoring:9090.`,
    );
  }
  const token = secretFrom(env, 'PROMETHEUS_TOKEN');
  return token ? { url, token } : { url };
}
