import { KubeConfig, type RequestContext } from '@kubernetes/client-node';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/** How long one connection pool serves before the next request starts another. */
const POOL_LIFETIME_MS = 10 * 60_000;

/**
 * A KubeConfig whose API calls share keep-alive connections. client-node 2 builds a new undici
 * Agent for every request (KubeConfig.applySecurityAuthentication), so no connection is ever
 * reused: each call pays a TCP and TLS handshake, with an RSA signature on each side when the
 * kubeconfig holds a client certificate, on Slipway's event loop and the API server's. Here the
 * first Agent built serves every later request, as client-go's one transport per config does;
 * headers (a bearer token, which may rotate on disk) are still applied to each request.
 *
 * The pool is replaced now and then, so a client certificate renewed on disk is picked up: the
 * old pool is dropped, not closed, so a watch still on it runs to its end and its idle
 * connections close by themselves (undici's keep-alive timeout).
 */
export class WarmKubeConfig extends KubeConfig {
  #pool: Dispatcher | undefined;
  #poolSince = 0;

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (fresh === undefined) return;
    if (!this.#pool || this.now() - this.#poolSince > POOL_LIFETIME_MS) {
      this.#pool = fresh;
      this.#poolSince = this.now();
    }
    context.setDispatcher(this.#pool);
  }
}
