import { KubeConfig, type V1Deployment, Watch } from '@kubernetes/client-node';

/**
 * Watches one Deployment and prints `seen <image> <ms>` the first time its pod template shows
 * each image, `ms` read from the monotonic clock every process on the machine shares
 * (process.hrtime). In a process of its own so that the moment a change is seen does not wait
 * for the benchmark's own loop, busy playing Slack for the Slipway under test.
 *
 * Arguments: <kubeconfig> <namespace> <deployment> <container>.
 */
const [kubeconfig, namespace, name, container] = process.argv.slice(2);
if (!kubeconfig || !namespace || !name || !container) {
  console.error('usage: image-watch <kubeconfig> <namespace> <deployment> <container>');
  process.exit(2);
}
const config = new KubeConfig();
config.loadFromFile(kubeconfig);
const seen = new Set<string>();
await new Watch(config).watch(
  `/apis/apps/v1/namespaces/${namespace}/deployments`,
  { fieldSelector: `metadata.name=${name}` },
  (_type: string, d: V1Deployment) => {
    const at = Number(process.hrtime.bigint()) / 1e6;
    const image = d.spec?.template.spec?.containers.find((c) => c.name === container)?.image;
    if (!image || seen.has(image)) return;
    seen.add(image);
    process.stdout.write(`seen ${image} ${at}\n`);
  },
  (err: unknown) => {
    console.error(`the watch ended: ${String(err)}`);
    process.exit(1);
  },
);
// startServerChild waits for a line naming a port: this process listens on none.
process.stdout.write('watching on port 0\n');
