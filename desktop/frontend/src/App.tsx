import { useCallback, useEffect, useRef, useState } from 'react';
import type { MeQuery as MeData } from './gql/graphql';
import { errorMessage, gqlRequest, makeClient, normalizeServerUrl, type Client, type Connection } from './lib/graphql';
import type { Host, SettingsView } from './lib/host';
import { MeQuery } from './operations';
import { href, parseRoute, type Route } from './routes';
import { ConnectScreen } from './screens/ConnectScreen';
import { CustomersScreen } from './screens/CustomersScreen';
import { CustomerView } from './screens/CustomerView';
import { SourcesScreen } from './screens/SourcesScreen';

type Me = MeData['me'];

interface Session {
  conn: Connection;
  client: Client;
  me: Me;
}

export function App({ host }: { host: Host }) {
  const [settings, setSettings] = useState<SettingsView | null>(null);
  const [session, setSession] = useState<Session | null>(null);
  const [startupError, setStartupError] = useState<string | null>(null);
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.hash));
  const reported = useRef(false);

  useEffect(() => {
    const onHash = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const connect = useCallback(async (conn: Connection): Promise<Session> => {
    const c = { serverUrl: normalizeServerUrl(conn.serverUrl), apiKey: conn.apiKey };
    const data = await gqlRequest<MeData>(c, MeQuery);
    const s = { conn: c, client: makeClient(c), me: data.me };
    setSession(s);
    return s;
  }, []);

  // Startup: reconnect with the remembered settings, if any.
  const [booted, setBooted] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    (async () => {
      const sv = await host.getSettings();
      if (cancelled) return;
      let state = 'connect screen';
      if (sv.serverUrl && sv.hasKey) {
        try {
          const s = await connect(await host.connection());
          state = `connected as ${s.me.name}`;
        } catch (e) {
          if (!cancelled) setStartupError(errorMessage(e));
        }
      }
      // Settings last: the connect screen reads its initial error once, when it mounts.
      if (!cancelled) {
        setSettings(sv);
        setBooted(state);
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [host, connect]);

  const showConnect = !session || route.name === 'connect';
  useEffect(() => {
    const screen = showConnect ? 'Connect' : route.name === 'sources' ? 'Sources' : route.name === 'customer' ? 'Customer' : 'Customers';
    document.title = `Tessera — ${screen}`;
  }, [showConnect, route]);

  // Declared after the title effect, so the title is current; the frame lets it paint.
  useEffect(() => {
    if (booted === null || reported.current) return;
    reported.current = true;
    requestAnimationFrame(() => host.ready(`${document.title}: ${booted}`));
  }, [booted, host]);

  if (!settings) return <div className="loading connect">Connecting…</div>;

  if (showConnect) {
    return (
      <ConnectScreen
        host={host}
        settings={settings}
        initialError={startupError}
        onConnected={async (conn) => {
          await connect(conn);
          setSettings(await host.saveSettings(conn.serverUrl, conn.apiKey));
          setStartupError(null);
          if (route.name === 'connect') window.location.hash = href({ name: 'customers' });
        }}
        onCancel={session ? () => window.history.back() : undefined}
      />
    );
  }

  const disconnect = async () => {
    setSettings(await host.forgetKey());
    setSession(null);
    window.location.hash = href({ name: 'customers' });
  };

  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Tessera</span>
        <nav>
          <a href={href({ name: 'customers' })} className={route.name === 'customers' || route.name === 'customer' ? 'active' : ''}>
            Customers
          </a>
          <a href={href({ name: 'sources' })} className={route.name === 'sources' ? 'active' : ''}>
            Sources
          </a>
        </nav>
        <span className="whoami" title={session.conn.serverUrl}>
          {session.me.name} <span className="role">{session.me.role}</span> · {session.conn.serverUrl.replace(/^https?:\/\//, '')}
        </span>
        <a href={href({ name: 'connect' })} className="button small">
          Settings
        </a>
        <button className="small" onClick={disconnect}>
          Disconnect
        </button>
      </header>
      <main>
        {route.name === 'customer' ? (
          <CustomerView key={route.id} id={route.id} client={session.client} host={host} canUnmerge={session.me.role === 'ADMIN'} />
        ) : route.name === 'sources' ? (
          <SourcesScreen client={session.client} host={host} role={session.me.role} />
        ) : (
          <CustomersScreen client={session.client} />
        )}
      </main>
    </div>
  );
}
