import convict from 'convict';
import { parseListenSpec } from './parse-listen.js';

convict.addFormat({
  name: 'listen-list',
  validate(value: unknown) {
    if (!Array.isArray(value) || value.length === 0)
      throw new Error('must list at least one udp:ADDR:PORT, tcp:ADDR:PORT or tls:ADDR:PORT');
    for (const v of value) {
      if (typeof v !== 'string' || !parseListenSpec(v)) {
        throw new Error(
          `"${String(v)}" is not of the form udp:ADDRESS:PORT, tcp:[IPv6]:PORT or tls:ADDRESS:PORT`,
        );
      }
    }
  },
  coerce: (v: string) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
});

convict.addFormat({
  name: 'string-list',
  validate(value: unknown) {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
      throw new Error('must be a list of strings');
  },
  coerce: (v: string) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
});

convict.addFormat({
  name: 'utilization',
  validate(value: unknown) {
    if (typeof value !== 'number' || !(value >= 0 && value < 1))
      throw new Error('must be a share of time from 0 (off) up to, not including, 1');
  },
  coerce: Number,
});

/**
 * The one configuration schema: every setting, its default, its environment
 * variable and what it does. docs/configuration.md is generated from it
 * (`npm run config-doc`).
 */
export const schema = {
  sip: {
    listen: {
      doc: 'SIP listening sockets: udp:ADDRESS:PORT, tcp:ADDRESS:PORT and tls:ADDRESS:PORT entries (IPv6 as udp:[::1]:5060; TLS usually on 5061, with sip.tls.cert_file and sip.tls.key_file).',
      format: 'listen-list',
      default: ['udp:0.0.0.0:5060', 'tcp:0.0.0.0:5060'],
      env: 'TRUNKROUTE_SIP_LISTEN',
    },
    advertised_address: {
      doc: 'Address put in Via and Record-Route when the listening address is a wildcard or behind NAT; empty = the first external interface.',
      format: String,
      default: '',
      env: 'TRUNKROUTE_SIP_ADVERTISED_ADDRESS',
    },
    max_message_size: {
      doc: 'Largest SIP message (and TCP header section) accepted, in bytes.',
      format: 'nat',
      default: 65536,
      env: 'TRUNKROUTE_SIP_MAX_MESSAGE_SIZE',
    },
    max_server_transactions: {
      doc: 'Live server transactions at most (the memory bound under a flood). Beyond it new out-of-dialog requests get a stateless 503 with Retry-After; calls in progress go on; at twice it nothing new is taken. Each call keeps two for 64*T1 (32 s) after its answer and its BYE (RFC 6026, RFC 3261 Timer J), so steady traffic holds about 64 × calls/s: the default suits up to about 3,000 calls/s. 0 = no cap.',
      format: 'nat',
      default: 200000,
      env: 'TRUNKROUTE_SIP_MAX_SERVER_TRANSACTIONS',
    },
    t1_ms: {
      doc: 'RFC 3261 T1: round-trip estimate.',
      format: 'nat',
      default: 500,
      env: 'TRUNKROUTE_SIP_T1_MS',
    },
    t2_ms: {
      doc: 'RFC 3261 T2: retransmission cap.',
      format: 'nat',
      default: 4000,
      env: 'TRUNKROUTE_SIP_T2_MS',
    },
    t4_ms: {
      doc: 'RFC 3261 T4: how long a message may stay in the network.',
      format: 'nat',
      default: 5000,
      env: 'TRUNKROUTE_SIP_T4_MS',
    },
    tcp_idle_timeout_ms: {
      doc: 'A TCP connection with no traffic for this long is closed; 0 = never.',
      format: 'nat',
      default: 600000,
      env: 'TRUNKROUTE_SIP_TCP_IDLE_TIMEOUT_MS',
    },
    tcp_message_timeout_ms: {
      doc: 'A message begun on a TCP connection must be complete within this long, or the connection is closed (a peer trickling an endless header).',
      format: 'nat',
      default: 32000,
      env: 'TRUNKROUTE_SIP_TCP_MESSAGE_TIMEOUT_MS',
    },
    udp_request_socket: {
      doc: 'Requests trunkroute sends over UDP (to providers, in-dialog) leave from a socket of their own on the listener address, named in Via and Record-Route, so their responses and the dialog requests wait in a queue of their own instead of behind a flood of new INVITEs to the listener (docs/proxy.md, Overload). Its port is workers.request_port_base (0: chosen by the system). false = everything on the listener port, for peers that accept only that port; always on with workers.count > 1.',
      format: Boolean,
      default: true,
      env: 'TRUNKROUTE_SIP_UDP_REQUEST_SOCKET',
    },
    udp_listener_hold_ms: {
      doc: 'While the request socket (sip.udp_request_socket) has more queued than one turn of the event loop reads, datagrams from the listener (new INVITEs) wait, for at most this long, so that the responses and in-dialog requests of calls already in progress are read first: a call then waits once in a backlog, not on each of its passes (docs/proxy.md, Overload). 0 = the listener and the request socket are read alike.',
      format: 'nat',
      default: 50,
      env: 'TRUNKROUTE_SIP_UDP_LISTENER_HOLD_MS',
    },
    udp_buffer_bytes: {
      doc: 'Receive and send buffers asked for each UDP socket, so a burst waits in the kernel instead of being dropped (the kernel caps it at net.core.rmem_max).',
      format: 'nat',
      default: 4194304,
      env: 'TRUNKROUTE_SIP_UDP_BUFFER_BYTES',
    },
    tls: {
      cert_file: {
        doc: 'PEM certificate (chain) the tls: listeners present; required with a tls: listener. Re-read when it changes: new connections get the new one, a file that does not load is logged and the old one stays.',
        format: String,
        default: '',
        env: 'TRUNKROUTE_SIP_TLS_CERT_FILE',
      },
      key_file: {
        doc: 'PEM private key of sip.tls.cert_file; required with a tls: listener. Re-read with it.',
        format: String,
        default: '',
        env: 'TRUNKROUTE_SIP_TLS_KEY_FILE',
      },
      ca_file: {
        doc: 'PEM CA bundle trusted for outgoing TLS to providers in addition to the default CA store (a provider with its own tls.ca_file trusts only that one). Empty = the default store only.',
        format: String,
        default: '',
        env: 'TRUNKROUTE_SIP_TLS_CA_FILE',
      },
      reload_interval_ms: {
        doc: 'How often the certificate, key and CA files are checked for a change.',
        format: 'nat',
        default: 1000,
        env: 'TRUNKROUTE_SIP_TLS_RELOAD_INTERVAL_MS',
      },
    },
  },
  proxy: {
    mode: {
      doc: 'proxy: stateful failover; redirect: answer each INVITE with one 3xx listing the attempts.',
      format: ['proxy', 'redirect'],
      default: 'proxy',
      env: 'TRUNKROUTE_PROXY_MODE',
    },
    redirect_status: {
      doc: 'Status used in redirect mode: 302 or 300.',
      format: [300, 302],
      default: 302,
      env: 'TRUNKROUTE_PROXY_REDIRECT_STATUS',
    },
    max_forwards: {
      doc: 'Max-Forwards put on requests that arrive without one.',
      format: 'nat',
      default: 70,
      env: 'TRUNKROUTE_PROXY_MAX_FORWARDS',
    },
    supported_extensions: {
      doc: 'Option tags accepted in Proxy-Require; any other gets 420.',
      format: 'string-list',
      default: [] as string[],
      env: 'TRUNKROUTE_PROXY_SUPPORTED_EXTENSIONS',
    },
    record_route: {
      doc: 'Record-Route every call so in-dialog requests (ACK, BYE, re-INVITE) pass through trunkroute.',
      format: Boolean,
      default: true,
      env: 'TRUNKROUTE_PROXY_RECORD_ROUTE',
    },
    ring_timeout_ms: {
      doc: 'Timer C: how long one attempt may ring before it is cancelled and counted as a timeout.',
      format: 'nat',
      default: 180000,
      env: 'TRUNKROUTE_PROXY_RING_TIMEOUT_MS',
    },
    record_route_secret: {
      doc: "Key that signs our Record-Route, so in-dialog requests are carried only along a Route we put there. Empty = a random key per process (dialogs of an earlier run are then carried only from customer, trusted and provider addresses). Give instances that may take over each other's dialogs the same key.",
      format: String,
      default: '',
      env: 'TRUNKROUTE_PROXY_RECORD_ROUTE_SECRET',
      sensitive: true,
    },
    source_invite_rate: {
      doc: 'New INVITEs per second accepted from one source address (a burst of one second); beyond it 503 with Retry-After. 0 = no cap (the default: one carrier SBC may rightly send thousands per second; set it where sources outside your control reach the SIP port).',
      format: 'nat',
      default: 0,
      env: 'TRUNKROUTE_PROXY_SOURCE_INVITE_RATE',
    },
    max_calls_in_setup: {
      doc: 'Calls being set up at once; beyond it new INVITEs get 503 with Retry-After while calls in progress go on. 0 = no cap.',
      format: 'nat',
      default: 20000,
      env: 'TRUNKROUTE_PROXY_MAX_CALLS_IN_SETUP',
    },
    max_tracked_sources: {
      doc: 'Source addresses whose INVITE rate is tracked at once (memory bound under a flood from many addresses).',
      format: 'nat',
      default: 100000,
      env: 'TRUNKROUTE_PROXY_MAX_TRACKED_SOURCES',
    },
    shed_utilization: {
      doc: 'Event-loop utilization that trunkroute holds itself at when more calls arrive than it can serve: past it, the share of new INVITEs that keeps it there is admitted and the rest get a stateless 503 with Retry-After, so admitted calls connect without retransmission storms (docs/proxy.md, Overload). Below 1 so that the socket queue drains between bursts. 0 = never shed.',
      format: 'utilization',
      default: 0.97,
      env: 'TRUNKROUTE_PROXY_SHED_UTILIZATION',
    },
    shed_sample_ms: {
      doc: 'How often the event-loop utilization is sampled for proxy.shed_utilization, and the admitted share adjusted (ms). Shorter reacts sooner to a burst; longer is steadier.',
      format: 'nat',
      default: 100,
      env: 'TRUNKROUTE_PROXY_SHED_SAMPLE_MS',
    },
    shed_after_ms: {
      doc: 'How long the event loop must stay over proxy.shed_utilization before new INVITEs are shed (ms). Bursts shorter than this (a major GC, a cold start compiling the call path, the scheduler giving the core away) wait in the socket buffer instead of costing calls; longer, and a backlog builds that delays callers towards their 500-ms retransmission (docs/proxy.md, Overload).',
      format: 'nat',
      default: 500,
      env: 'TRUNKROUTE_PROXY_SHED_AFTER_MS',
    },
    shed_queue_delay_ms: {
      doc: "How long datagrams may wait in the queue of a UDP socket trunkroute reads (the listeners, and the request sockets where the providers' answers arrive) before a busy event loop counts as overloaded (ms). Measured by a probe datagram each socket sends itself every proxy.shed_sample_ms. Under it nothing is shed however busy the loop reads (descheduled on a shared machine, or working at 97 % and keeping up); over it for two samples in a row, or four times over it at once (at most 250 ms: half of T1), or once with new INVITEs worth 1.5 times what the loop does (a surge, cut at once to what fits less the backlog), with the loop over proxy.shed_utilization, new INVITEs are shed while the queue grows; under half of it a shed share grows back. The same reading brings the 100 Trying forward by the time an INVITE waited. proxy.shed_after_ms applies only while there is no reading. 0 = the event-loop utilization alone decides (docs/proxy.md, The queue decides).",
      format: 'nat',
      default: 50,
      env: 'TRUNKROUTE_PROXY_SHED_QUEUE_DELAY_MS',
    },
    shutdown_grace_ms: {
      doc: 'On SIGTERM, how long calls in setup may take to connect or fail before they are cancelled.',
      format: 'nat',
      default: 32000,
      env: 'TRUNKROUTE_PROXY_SHUTDOWN_GRACE_MS',
    },
  },
  routes: {
    source: {
      doc: 'Where the route table lives: memory (seeded from routes.file, changed by the API), file (watched), redis (shared).',
      format: ['memory', 'file', 'redis'],
      default: 'memory',
      env: 'TRUNKROUTE_ROUTES_SOURCE',
    },
    file: {
      doc: 'Route table file (YAML or JSON).',
      format: String,
      default: 'config/routes.yaml',
      env: 'TRUNKROUTE_ROUTES_FILE',
    },
    watch: {
      doc: 'With source file: reload the file when it changes.',
      format: Boolean,
      default: true,
      env: 'TRUNKROUTE_ROUTES_WATCH',
    },
    poll_interval_ms: {
      doc: 'With source redis: how often the table version is polled as a backstop to pub/sub.',
      format: 'nat',
      default: 2000,
      env: 'TRUNKROUTE_ROUTES_POLL_INTERVAL_MS',
    },
  },
  redis: {
    url: {
      doc: 'Redis URL (redis://host:port/db); empty = no Redis.',
      format: String,
      default: '',
      env: 'TRUNKROUTE_REDIS_URL',
      sensitive: true,
    },
    key_prefix: {
      doc: 'Prefix of every Redis key trunkroute uses.',
      format: String,
      default: 'trunkroute:',
      env: 'TRUNKROUTE_REDIS_KEY_PREFIX',
    },
  },
  api: {
    enabled: {
      doc: 'Serve the admin HTTP API.',
      format: Boolean,
      default: true,
      env: 'TRUNKROUTE_API_ENABLED',
    },
    address: {
      doc: 'Admin API listening address. A non-loopback address needs api.tokens.',
      format: String,
      default: '127.0.0.1',
      env: 'TRUNKROUTE_API_ADDRESS',
    },
    port: { doc: 'Admin API port.', format: 'port', default: 8080, env: 'TRUNKROUTE_API_PORT' },
    tokens: {
      doc: 'Accepted API tokens (?token= or Authorization: Bearer). Empty = unauthenticated, loopback only.',
      format: 'string-list',
      default: [] as string[],
      env: 'TRUNKROUTE_API_TOKENS',
      sensitive: true,
    },
  },
  health: {
    probe_enabled: {
      doc: "OPTIONS probing of every gateway, unless a provider's probe.enabled says otherwise. Off by default: probing sends traffic to every gateway of the table from the moment it loads.",
      format: Boolean,
      default: false,
      env: 'TRUNKROUTE_HEALTH_PROBE_ENABLED',
    },
    probe_interval_ms: {
      doc: 'Time between two OPTIONS probes of one gateway.',
      format: 'nat',
      default: 10000,
      env: 'TRUNKROUTE_HEALTH_PROBE_INTERVAL_MS',
    },
    probe_timeout_ms: {
      doc: 'A probe with no final response within this long failed.',
      format: 'nat',
      default: 2000,
      env: 'TRUNKROUTE_HEALTH_PROBE_TIMEOUT_MS',
    },
    probe_alive_codes: {
      doc: 'Probe responses that show a gateway is there: classes (2xx) or codes (404). Any answer but a 5xx, by default.',
      format: 'string-list',
      default: ['2xx', '3xx', '4xx', '6xx'],
      env: 'TRUNKROUTE_HEALTH_PROBE_ALIVE_CODES',
    },
    self_busy_utilization: {
      doc: "A trying timeout or Timer B/C of an attempt during which trunkroute's event loop was busy at least this share of the time (sampled every 500 ms) is not counted against the gateway's breaker: the answer may have been waiting in our own socket queue. 0 = always count.",
      format: Number,
      default: 0.95,
      env: 'TRUNKROUTE_HEALTH_SELF_BUSY_UTILIZATION',
    },
    probe_down_after: {
      doc: 'Failed probes in a row that mark a gateway down (skipped by new calls).',
      format: 'nat',
      default: 3,
      env: 'TRUNKROUTE_HEALTH_PROBE_DOWN_AFTER',
    },
    probe_up_after: {
      doc: 'Successful probes in a row that bring a down gateway back.',
      format: 'nat',
      default: 2,
      env: 'TRUNKROUTE_HEALTH_PROBE_UP_AFTER',
    },
    breaker_failures: {
      doc: 'Consecutive failures of one gateway (timeouts, transport errors, 5xx, failed probes) within breaker_window_ms that open its breaker; 0 = only Retry-After opens it.',
      format: 'nat',
      default: 5,
      env: 'TRUNKROUTE_HEALTH_BREAKER_FAILURES',
    },
    breaker_window_ms: {
      doc: 'The window in which those failures count.',
      format: 'nat',
      default: 30000,
      env: 'TRUNKROUTE_HEALTH_BREAKER_WINDOW_MS',
    },
    breaker_cooldown_ms: {
      doc: 'How long an open breaker keeps a gateway out before one trial call or probe is let through (half-open).',
      format: 'nat',
      default: 30000,
      env: 'TRUNKROUTE_HEALTH_BREAKER_COOLDOWN_MS',
    },
    max_call_ms: {
      doc: 'An answered call holds its provider and customer slots until its BYE passes; one whose BYE never comes is released after this long, and its call record is written with hangup timeout.',
      format: 'nat',
      default: 14400000,
      env: 'TRUNKROUTE_HEALTH_MAX_CALL_MS',
    },
    lease_ms: {
      doc: 'With Redis: a call slot not refreshed for this long is freed, so an instance that dies leaks no slot.',
      format: 'nat',
      default: 30000,
      env: 'TRUNKROUTE_HEALTH_LEASE_MS',
    },
    sync_poll_ms: {
      doc: 'With Redis: how often shared breaker state is read back, as a backstop to pub/sub.',
      format: 'nat',
      default: 2000,
      env: 'TRUNKROUTE_HEALTH_SYNC_POLL_MS',
    },
  },
  workers: {
    count: {
      doc: 'SIP worker processes sharing the UDP listeners; each call (by Call-ID) is handled by one of them. 1 = everything in this process. More than 1 needs UDP listeners only, redis.url and routes.source file or redis (docs/workers.md).',
      format: 'nat',
      default: 1,
      env: 'TRUNKROUTE_WORKERS_COUNT',
    },
    request_port_base: {
      doc: 'The UDP port requests leave from (sip.udp_request_socket): worker i sends from request_port_base + i, a single process from request_port_base, on the listener address, and names it in its Via and Record-Route; 0 = a port chosen by the system. Responses and in-dialog requests come back to that port.',
      format: 'port',
      default: 0,
      env: 'TRUNKROUTE_WORKERS_REQUEST_PORT_BASE',
    },
  },
  records: {
    stream_max_len: {
      doc: 'With Redis: call records are appended to the stream <key_prefix>calls, capped at about this many entries; 0 = no stream.',
      format: 'nat',
      default: 100000,
      env: 'TRUNKROUTE_RECORDS_STREAM_MAX_LEN',
    },
    max_established_calls: {
      doc: 'Answered calls kept until their end so their record is written then (shared out among workers); past it the oldest is written at once with hangup timeout (0 counts as 1).',
      format: 'nat',
      default: 200000,
      env: 'TRUNKROUTE_RECORDS_MAX_ESTABLISHED_CALLS',
    },
  },
  log: {
    level: {
      doc: 'Log level: fatal, error, warn, info, debug, trace, silent.',
      format: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
      env: 'TRUNKROUTE_LOG_LEVEL',
    },
  },
};

export interface ServerConfig {
  sip: {
    listen: string[];
    advertised_address: string;
    max_message_size: number;
    max_server_transactions: number;
    t1_ms: number;
    t2_ms: number;
    t4_ms: number;
    tcp_idle_timeout_ms: number;
    tcp_message_timeout_ms: number;
    udp_request_socket: boolean;
    udp_listener_hold_ms: number;
    udp_buffer_bytes: number;
    tls: { cert_file: string; key_file: string; ca_file: string; reload_interval_ms: number };
  };
  proxy: {
    mode: 'proxy' | 'redirect';
    redirect_status: number;
    max_forwards: number;
    supported_extensions: string[];
    record_route: boolean;
    ring_timeout_ms: number;
    record_route_secret: string;
    source_invite_rate: number;
    max_calls_in_setup: number;
    max_tracked_sources: number;
    shed_utilization: number;
    shed_sample_ms: number;
    shed_after_ms: number;
    shed_queue_delay_ms: number;
    shutdown_grace_ms: number;
  };
  routes: {
    source: 'memory' | 'file' | 'redis';
    file: string;
    watch: boolean;
    poll_interval_ms: number;
  };
  redis: { url: string; key_prefix: string };
  api: { enabled: boolean; address: string; port: number; tokens: string[] };
  health: {
    self_busy_utilization: number;
    probe_enabled: boolean;
    probe_interval_ms: number;
    probe_timeout_ms: number;
    probe_alive_codes: string[];
    probe_down_after: number;
    probe_up_after: number;
    breaker_failures: number;
    breaker_window_ms: number;
    breaker_cooldown_ms: number;
    max_call_ms: number;
    lease_ms: number;
    sync_poll_ms: number;
  };
  workers: { count: number; request_port_base: number };
  records: { stream_max_len: number; max_established_calls: number };
  log: { level: string };
}
