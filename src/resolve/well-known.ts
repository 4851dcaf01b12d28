/**
 * What gitops-synth knows, without pulling anything, about the official
 * images teams most often run beside their own: the user each runs as. Every
 * one of them starts as root (its entrypoint then switches to its user) or
 * names its user by name, and Kubernetes can only verify a numeric non-root
 * user: with `runAsNonRoot: true` (the default here) and no `runAsUser`, the
 * pod stops at CreateContainerConfigError. Taken from the images'
 * Dockerfiles (docker-library); the Alpine variants differ where noted.
 */
export interface KnownImage {
  /** The program, for messages. */
  readonly program: string;
  /** The user the image's entrypoint switches to. */
  readonly user: string;
  /** Its uid and gid on the Debian (or Ubuntu, Oracle Linux) variants. */
  readonly ids: UserIds;
  /** Its uid and gid on the `-alpine` variants; absent when there is none or it is unknown. */
  readonly alpineIds?: UserIds;
  /**
   * The image says `USER <uid>` with a numeric non-root uid: it starts as it
   * is, and the uid is written out only to say so. @default false
   */
  readonly numericUser?: boolean;
  /** The image says `USER <name>` rather than starting as root. @default false */
  readonly userByName?: boolean;
  /**
   * Its entrypoint writes outside the data volume (sockets, generated
   * configuration), so the root filesystem cannot be read-only.
   * @default false
   */
  readonly writesOutsideVolumes?: boolean;
  /** An image of the same program that runs unprivileged as it is, when running this one as its user cannot work. */
  readonly unprivileged?: string;
}

export interface UserIds {
  readonly uid: number;
  readonly gid: number;
}

const KNOWN_IMAGES: Readonly<Record<string, KnownImage>> = {
  redis: { program: 'Redis', user: 'redis', ids: { uid: 999, gid: 999 }, alpineIds: { uid: 999, gid: 1000 } },
  postgres: {
    program: 'PostgreSQL',
    user: 'postgres',
    ids: { uid: 999, gid: 999 },
    alpineIds: { uid: 70, gid: 70 },
    writesOutsideVolumes: true,
  },
  rabbitmq: {
    program: 'RabbitMQ',
    user: 'rabbitmq',
    ids: { uid: 999, gid: 999 },
    alpineIds: { uid: 100, gid: 101 },
    writesOutsideVolumes: true,
  },
  mysql: { program: 'MySQL', user: 'mysql', ids: { uid: 999, gid: 999 }, writesOutsideVolumes: true },
  mariadb: { program: 'MariaDB', user: 'mysql', ids: { uid: 999, gid: 999 }, writesOutsideVolumes: true },
  mongo: { program: 'MongoDB', user: 'mongodb', ids: { uid: 999, gid: 999 }, writesOutsideVolumes: true },
  memcached: {
    program: 'memcached',
    user: 'memcache',
    userByName: true,
    ids: { uid: 11211, gid: 11211 },
    alpineIds: { uid: 11211, gid: 11211 },
  },
  'nginxinc/nginx-unprivileged': {
    program: 'nginx',
    user: 'nginx',
    numericUser: true,
    ids: { uid: 101, gid: 101 },
    alpineIds: { uid: 101, gid: 101 },
  },
  nginx: {
    program: 'nginx',
    user: 'nginx',
    ids: { uid: 101, gid: 101 },
    alpineIds: { uid: 101, gid: 101 },
    unprivileged: 'nginxinc/nginx-unprivileged (runs as uid 101 and listens on 8080)',
  },
};

/** The official image a repository names (`redis`, `library/redis`, `docker.io/library/redis`), if known. */
export function knownImage(repository: string): KnownImage | undefined {
  const name = repository
    .replace(/^(docker\.io\/|index\.docker\.io\/|registry-1\.docker\.io\/)/, '')
    .replace(/^library\//, '');
  return Object.hasOwn(KNOWN_IMAGES, name) ? KNOWN_IMAGES[name] : undefined;
}

/** The uid and gid of the image's user for this tag, or undefined when the variant's are unknown. */
export function knownUserIds(image: KnownImage, tag: string): UserIds | undefined {
  return /alpine/.test(tag) ? image.alpineIds : image.ids;
}

/**
 * Well-known ports of programs that do not speak HTTP, with the port name
 * that says their protocol the way Istio reads names (`<protocol>[-<suffix>]`:
 * redis, mysql and mongo are Istio protocols, the rest are plain TCP). A
 * mesh reads a port named `http` as HTTP and would break these connections.
 */
const WELL_KNOWN_PORTS: Readonly<Record<number, { readonly program: string; readonly name: string }>> = {
  6379: { program: 'Redis', name: 'redis' },
  5432: { program: 'PostgreSQL', name: 'tcp-postgres' },
  3306: { program: 'MySQL', name: 'mysql' },
  27017: { program: 'MongoDB', name: 'mongo' },
  5672: { program: 'AMQP (RabbitMQ)', name: 'tcp-amqp' },
  5671: { program: 'AMQP over TLS (RabbitMQ)', name: 'tls-amqp' },
  11211: { program: 'memcached', name: 'tcp-memcached' },
  9092: { program: 'Kafka', name: 'tcp-kafka' },
  2181: { program: 'ZooKeeper', name: 'tcp-zookeeper' },
  4222: { program: 'NATS', name: 'tcp-nats' },
  1883: { program: 'MQTT', name: 'tcp-mqtt' },
  9042: { program: 'Cassandra', name: 'tcp-cassandra' },
};

/** The program and the protocol-naming port name of a well-known port that is not HTTP. */
export function wellKnownPort(port: number): { readonly program: string; readonly name: string } | undefined {
  return Object.hasOwn(WELL_KNOWN_PORTS, port) ? WELL_KNOWN_PORTS[port] : undefined;
}

/** Whether a port name says HTTP (or gRPC) to a mesh: `http`, `http-*`, `http2`, `https`, `grpc`, ... */
export function namesHttp(name: string): boolean {
  return /^(http|http2|https|grpc|grpc-web)(-|$)/.test(name);
}

/** Whether a port name says a protocol an Ingress cannot route: plain TCP, TLS passthrough, UDP, a database's. */
export function namesNonHttp(name: string): boolean {
  return /^(tcp|tls|udp|redis|mysql|mongo)(-|$)/.test(name);
}
