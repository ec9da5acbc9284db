import { execFileSync } from 'node:child_process';

/** A PostgreSQL cluster of this test's own (Debian's postgresql-common), trust auth on loopback. */
export function privateCluster(name: string, port: number) {
  const run = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ctl = (action: string, ...extra: string[]) =>
    run('pg_ctlcluster', '--skip-systemctl-redirect', '15', name, action, ...extra);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    log: `/var/log/postgresql/postgresql-15-${name}.log`,
    create: () =>
      run('pg_createcluster', '15', name, '-p', String(port), '--', '--auth-local=trust', '--auth-host=trust'),
    start: () => ctl('start'),
    stop: () => ctl('stop', '-m', 'fast'),
    restart: () => ctl('restart', '-m', 'fast'),
    drop: () => {
      try {
        run('pg_dropcluster', '--stop', '15', name);
      } catch {
        // not created (or gone already)
      }
    },
  };
}
