import dns from 'node:dns';
import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import { Agent, buildConnector, setGlobalDispatcher } from 'undici';
import { isPrivateAddress } from '../api/privateAddress.js';

const REFUSAL = 'this server does not reach model servers on its own machine or private network (the operator can allow them with --allow-private-model-urls)';

type Resolve = (hostname: string, options: LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;
type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A DNS lookup for outbound connections that refuses names resolving to this machine or a
 * private network. The connection uses exactly the addresses checked here, so a name cannot
 * pass the check and then resolve elsewhere (DNS rebinding).
 */
export function guardedLookup(resolve: Resolve = dns.lookup as unknown as Resolve) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const hidden = addresses.find((a) => isPrivateAddress(a.address));
      if (hidden || !addresses.length) {
        const e: NodeJS.ErrnoException = new Error(
          `${hostname} resolves to ${hidden ? `a private address (${hidden.address})` : 'no address'}; ${REFUSAL}`,
        );
        e.code = 'EPRIVATEADDRESS';
        return callback(e, []);
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** An agent whose connections go only to public addresses: names through the guarded lookup, IP literals checked directly. */
export function guardedAgent(resolve?: Resolve): Agent {
  const connect = buildConnector({ lookup: guardedLookup(resolve) } as buildConnector.BuildOptions);
  return new Agent({
    connect: (opts, callback) => {
      const host = opts.hostname.replace(/^\[|\]$/g, '');
      if (!isPrivateAddress(host)) return connect(opts, callback);
      const e: NodeJS.ErrnoException = new Error(`${host} is a private address; ${REFUSAL}`);
      e.code = 'EPRIVATEADDRESS';
      callback(e, null);
    },
  });
}

/**
 * Server mode: every outbound HTTP request of this process (model and embedding servers)
 * goes through the guarded agent. Node's fetch uses the dispatcher undici registers here.
 */
export function guardOutboundConnections(): void {
  setGlobalDispatcher(guardedAgent());
}
