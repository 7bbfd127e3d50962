// First: the `debug` loggers that the MQTT and HTTP libraries create when they load must be the quiet ones.
import './quiet-debug';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from './api';
import { ProcessGuard } from './containment';
import { parseWorkerConfig, unusedFerryEnv, type WorkerConfig } from './config';
import { createRootLogger, LoggerRegistry } from './logging';
import { Metrics } from './metrics';
import * as pipeline from './pipeline';
import { PluginRegistry } from './plugins';
import { createRestApp } from './rest';
import { loadRestCredentials, type RestCredentials } from './rest/auth';
import { createForwarder } from './rest/forwarding';
import { hashPasswordScrypt } from './rest/passwords';
import { loadTlsMaterial, startRestServer, type TlsMaterial } from './rest/server';
import { Worker } from './worker';
import { builtinPlugins } from './builtins';
import { KafkaGroupMembership, unitsOf } from './cluster';
import { kafkaClientConfig } from './kafka';
import { VERSION } from './version';
import { ConfigProviders } from './config-providers';
import { runDemo } from './demo';

const USAGE = `Usage: ferry <command> [options]

Commands:
  worker [--config FILE]   run a worker (settings from FILE, a JSON object of Connect-style keys, and FERRY_* env vars)
  demo [--config FILE]     run a worker with a demo MQTT → Kafka → MQTT pipeline on the local stack (make run)
  hash-password USER       read a password from standard input, print USER:<scrypt hash> for rest.auth.basic.file
  version                  print the version
`;

/** The command line. The only place that touches process signals and exit codes. */
export async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'worker':
      return runWorker(rest);
    case 'demo':
      // The demo's own lines are what a first-time user reads: keep the worker's JSON logs to warnings.
      process.env.FERRY_LOG_LEVEL ??= 'warn';
      return runWorker(rest, (url, log) =>
        runDemo({
          restUrl: url,
          mqttUrl: process.env.FERRY_MQTT_URL ?? 'mqtt://127.0.0.1:1884',
          kafkaBootstrap: process.env.FERRY_KAFKA_BOOTSTRAP ?? '127.0.0.1:9092',
          print: (line) => process.stdout.write(`${line}\n`),
        }).catch((err: unknown) => log.error({ err: (err as Error).message }, 'the demo failed')),
      );
    case 'hash-password':
      return hashPassword(rest);
    case 'version':
    case '--version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`ferry: unknown command '${cmd}'\n\n${USAGE}`);
      return 2;
  }
}

/** One line of an htpasswd-style file; the password comes from stdin so it never sits in shell history or `ps`. */
async function hashPassword(args: readonly string[]): Promise<number> {
  const user = args[0];
  if (user === undefined || args.length > 1 || user === '' || user.includes(':')) {
    process.stderr.write('ferry: usage: ferry hash-password USER < password-file (USER without ":")\n');
    return 2;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (password === '') {
    process.stderr.write('ferry: hash-password read an empty password from standard input\n');
    return 2;
  }
  process.stdout.write(`${user}:${await hashPasswordScrypt(password, randomBytes(16))}\n`);
  return 0;
}

/** Loopback names and addresses: a listener bound there is out of reach of other machines. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function loadConfig(args: readonly string[]): WorkerConfig {
  let file: unknown;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--config' || a === '-c') {
      const path = args[++i];
      if (!path) throw new ConfigError([{ key: '--config', message: 'needs a file path' }]);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        throw new ConfigError([{ key: '--config', message: `cannot read ${path}: ${(err as Error).message}` }]);
      }
      try {
        file = JSON.parse(text);
      } catch (err) {
        throw new ConfigError([{ key: '--config', message: `${path} is not valid JSON: ${(err as Error).message}` }]);
      }
    } else {
      throw new ConfigError([{ key: a, message: 'unknown option (ferry worker [--config FILE])' }]);
    }
  }
  return parseWorkerConfig(file, process.env);
}

async function runWorker(
  args: readonly string[],
  afterStart?: (restUrl: string, logger: { error(o: unknown, m?: string): void }) => Promise<void>,
): Promise<number> {
  let cfg: WorkerConfig;
  try {
    cfg = loadConfig(args);
  } catch (err) {
    process.stderr.write(`ferry: ${(err as Error).message}\n`);
    return 2;
  }
  const root = createRootLogger(cfg.logLevel);
  const loggers = new LoggerRegistry(root);
  const logger = loggers.logger('ferry.worker');
  const unused = unusedFerryEnv(process.env);
  if (unused.length > 0)
    logger.warn({ variables: unused }, 'FERRY_* variables that name no worker setting are ignored');
  let credentials: RestCredentials | undefined;
  let tls: TlsMaterial | undefined;
  try {
    tls = cfg.restTls ? loadTlsMaterial(cfg.restTls) : undefined;
    if (cfg.restAuth) credentials = loadRestCredentials(cfg.restAuth, tls !== undefined && tls.clientAuth !== 'none');
  } catch (err) {
    process.stderr.write(`ferry: ${(err as Error).message}\n`);
    return 2;
  }
  const metrics = new Metrics();
  // Errors that escape every handler: one a task caused fails that task; any other ends the process, as Node would.
  const guard = new ProcessGuard({
    logger: loggers.logger('ferry.guard'),
    registry: metrics.registry,
    onUnattributed: () => process.exit(1),
  });
  process.on('uncaughtException', guard.uncaughtException);
  process.on('unhandledRejection', guard.unhandledRejection);
  const registry = new PluginRegistry(builtinPlugins);
  // Off unless the operator lists what placeholders may read: a REST caller must not read the worker's files or env.
  const providers = new ConfigProviders(cfg.configProviders);
  if (cfg.pluginPath.length > 0) registry.loadPluginPath(cfg.pluginPath, logger);
  const worker = new Worker({
    config: cfg,
    registry,
    logger: loggers.logger('ferry'),
    metrics,
    version: VERSION,
    // Workers with the same group.id form one cluster through Kafka's group coordinator (docs/cluster.md); a
    // worker alone is a cluster of one.
    membershipFactory: ({ workerId, connectors }) =>
      new KafkaGroupMembership({
        bootstrapServers: cfg.bootstrapServers,
        groupId: cfg.groupId,
        workerId,
        sessionTimeoutMs: cfg.sessionTimeoutMs,
        heartbeatIntervalMs: cfg.heartbeatIntervalMs,
        units: () => unitsOf(connectors()),
        // The cluster's producer, group consumer and admin client need the cluster's security settings too.
        clientConfig: kafkaClientConfig(cfg.kafkaClients, 'consumer'),
        logger: loggers.logger('ferry'),
      }),
    forward: createForwarder({
      ...(tls ? { tls } : {}),
      ...(cfg.restAuth?.internalToken !== undefined ? { internalToken: cfg.restAuth.internalToken } : {}),
    }),
    pipeline: {
      createSourcePipeline: pipeline.createSourcePipeline,
      createSinkPipeline: pipeline.createSinkPipeline,
      resolveConfigProviders: (raw) => providers.resolve(raw),
      validatePipelineConfig: pipeline.validatePipelineConfig,
      pipelineConfigKeys: pipeline.pipelineConfigKeys,
      plugins: pipeline.pipelinePlugins,
    },
  });
  const app = createRestApp(worker.herder, {
    loggers,
    logger: loggers.logger('ferry.rest'),
    metrics: () => metrics.text(),
    observeRequest: (method, route, status, seconds) => {
      metrics.restRequests.inc({ method, route, status: String(status) });
      metrics.restLatency.observe({ method, route }, seconds);
    },
    ...(credentials ? { credentials } : {}),
    allowedHosts: cfg.restAllowedHosts,
    maxBodyBytes: cfg.restMaxBodyBytes,
  });
  // REST first: /health answers 503 while the worker reads its topics, as Connect's does.
  let server;
  try {
    server = await startRestServer(app, cfg.restHost, cfg.restPort, tls);
  } catch (err) {
    logger.fatal?.({ err: (err as Error).message }, 'cannot start the REST server');
    process.stderr.write(`ferry: ${(err as Error).message}\n`);
    return 1;
  }
  logger.info(
    {
      url: `${server.scheme}://${cfg.restHost}:${server.port}`,
      workerId: worker.workerId(),
      authentication: credentials ? 'required' : 'off',
      clientCertificates: tls?.clientAuth ?? 'none',
    },
    'REST API listening',
  );
  if (!credentials && !isLoopback(cfg.restHost))
    logger.warn(
      { host: cfg.restHost },
      'the REST API listens beyond loopback without authentication: anyone who reaches this port can create ' +
        'connectors and read their configuration. Set rest.auth.basic.file or rest.auth.bearer.tokens.file (docs/security.md)',
    );
  if (credentials && cfg.restAuth?.internalToken === undefined && !(tls && tls.clientAuth !== 'none'))
    logger.warn(
      'REST authentication is on without rest.auth.internal.token: requests this worker forwards to other workers ' +
        '(task restarts) will be refused by them',
    );

  let stopping: Promise<void> | undefined;
  const stop = (signal: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ signal }, 'stopping');
      const force = setTimeout(() => {
        logger.error('graceful stop took too long; exiting');
        process.exit(1);
      }, cfg.shutdownTimeoutMs + 15_000);
      force.unref();
      await worker.stop().catch((err: unknown) => logger.error({ err }, 'worker stop failed'));
      await server.close();
    })();
    return stopping;
  };
  const done = new Promise<number>((resolve) => {
    process.once('SIGTERM', () => void stop('SIGTERM').then(() => resolve(0)));
    process.once('SIGINT', () => void stop('SIGINT').then(() => resolve(0)));
  });
  try {
    await worker.start();
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'worker failed to start');
    await stop('start failure');
    return 1;
  }
  if (afterStart) {
    const host = cfg.restHost === '0.0.0.0' ? '127.0.0.1' : cfg.restHost;
    await afterStart(`${server.scheme}://${host}:${server.port}`, logger);
  }
  return done;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`ferry: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
