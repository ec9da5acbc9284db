import { useEffect, useRef, useState } from 'preact/hooks';
import { apiError, type CameraView, type FailoverView, type ServerView } from '../api/client.ts';
import { useFarm } from '../live/use-farm.ts';
import { atLeast, useMe } from '../session/session.ts';
import { actionsFor, confirmText, moveText, type ServerAction } from './action-text.ts';

const LABEL: Record<ServerAction, string> = {
  failover: 'Fail over',
  drain: 'Drain',
  resume: 'Resume',
  failback: 'Fail back',
};

/** What an action is about to do, and then what the master answered. */
interface Pending {
  title: string;
  text: string;
  run: () => Promise<{ entry?: FailoverView; error?: string }>;
}

/** A modal that asks before an action and then shows the master's answer: its failover log entry or its refusal. */
function ConfirmDialog({ pending, onClose }: { pending: Pending; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [answer, setAnswer] = useState<{ entry?: FailoverView; error?: string }>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const ok = async () => {
    setBusy(true);
    setAnswer(await pending.run());
    setBusy(false);
  };
  return (
    <dialog ref={ref} data-testid="confirm" onClose={onClose}>
      <h2>{pending.title}</h2>
      {!answer && <p>{pending.text}</p>}
      {answer?.entry && (
        <p data-testid="confirm-answer">
          Done: <a href={`/failovers#failover-${answer.entry.id}`}>#{answer.entry.id}</a> {answer.entry.trigger}{' '}
          {answer.entry.status}
          {answer.entry.detail.moves.length > 0 &&
            `: ${answer.entry.detail.moves.map((m) => `${m.camera} ${m.from}→${m.to}`).join(', ')}`}
        </p>
      )}
      {answer?.error && (
        <p class="error" data-testid="confirm-error">
          {answer.error}
        </p>
      )}
      <div class="row">
        {!answer && (
          <button type="button" class="primary" data-testid="confirm-ok" disabled={busy} onClick={ok}>
            {busy ? 'Working…' : 'Confirm'}
          </button>
        )}
        <button type="button" data-testid="confirm-cancel" onClick={() => ref.current?.close()}>
          {answer ? 'Close' : 'Cancel'}
        </button>
      </div>
    </dialog>
  );
}

async function call(path: string, body?: unknown): Promise<{ entry?: FailoverView; error?: string }> {
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => undefined);
  if (!res.ok) return { error: apiError(json, res) };
  return { entry: json as FailoverView };
}

/** The operator's buttons of a server (failover, drain, resume, failback): shown to operators and admins only. */
export function ServerActions({ server }: { server: ServerView }) {
  const me = useMe();
  const { cameras } = useFarm();
  const [pending, setPending] = useState<Pending>();
  if (!atLeast(me?.role, 'operator')) return null;
  const home = cameras.filter((c) => c.homeServer === server.id).map((c) => c.id);
  return (
    <span class="actions">
      {actionsFor(server, cameras).map((a) => (
        <button
          key={a}
          type="button"
          class={a === 'failover' ? 'danger' : ''}
          data-testid={`action-${a}-${server.id}`}
          onClick={() =>
            setPending({
              title: `${LABEL[a]} ${server.id}?`,
              text: confirmText(a, server, home),
              run: () => call(`/api/v1/servers/${encodeURIComponent(server.id)}/${a}`),
            })
          }
        >
          {LABEL[a]}
        </button>
      ))}
      {pending && <ConfirmDialog pending={pending} onClose={() => setPending(undefined)} />}
    </span>
  );
}

/** Move one camera to another server of its group (operators and admins). */
export function MoveCamera({ camera }: { camera: CameraView }) {
  const me = useMe();
  const { servers } = useFarm();
  const [pending, setPending] = useState<Pending>();
  const [to, setTo] = useState('');
  if (!atLeast(me?.role, 'operator')) return null;
  const group = servers.find((s) => s.id === camera.currentServer)?.group;
  const targets = servers.filter((s) => s.group === group && s.id !== camera.currentServer && s.state !== 'down');
  if (!targets.length) return null;
  const target = to || targets[0].id;
  return (
    <span class="actions">
      <select value={target} onChange={(e) => setTo(e.currentTarget.value)} aria-label="move to">
        {targets.map((s) => (
          <option key={s.id} value={s.id}>
            {s.id}
          </option>
        ))}
      </select>
      <button
        type="button"
        data-testid={`action-move-${camera.id}`}
        onClick={() =>
          setPending({
            title: `Move ${camera.id}?`,
            text: moveText(camera.id, camera.currentServer, target),
            run: () => call(`/api/v1/cameras/${encodeURIComponent(camera.id)}/move`, { to: target }),
          })
        }
      >
        Move
      </button>
      {pending && <ConfirmDialog pending={pending} onClose={() => setPending(undefined)} />}
    </span>
  );
}
