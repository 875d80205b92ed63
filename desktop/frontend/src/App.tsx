import { lazy, Suspense, useCallback, useEffect, useRef, useState } from 'react';
import type { MeQuery as MeData } from './gql/graphql';
import { errorMessage, gqlRequest, makeClient, normalizeServerUrl, type Client, type Connection } from './lib/graphql';
import type { Host, SettingsView } from './lib/host';
import { makeLive, type Live } from './lib/live';
import { MeQuery } from './operations';
import { HOME, href, parseRoute, type Route } from './routes';
// Admin (issue 17).
import { AdminScreen } from './screens/AdminScreen';
// Campaigns and journeys (issue 16).
import { CampaignsScreen } from './screens/CampaignsScreen';
import { JourneysScreen } from './screens/JourneysScreen';
import { ConnectScreen } from './screens/ConnectScreen';
import { CustomersScreen } from './screens/CustomersScreen';
import { CustomerView } from './screens/CustomerView';
import { InboxScreen } from './screens/InboxScreen';
import { MatchScreen } from './screens/MatchScreen';
import { SegmentEditor } from './screens/SegmentEditor';
import { SegmentsScreen } from './screens/SegmentsScreen';
import { SegmentView } from './screens/SegmentView';
import { SourcesScreen } from './screens/SourcesScreen';
import { TicketView } from './screens/TicketView';

type Me = MeData['me'];

interface Session {
  conn: Connection;
  client: Client;
  /** ticketUpdated and friends; one socket, opened on first use. */
  live: Live;
  me: Me;
}

// Chart.js is only loaded when the dashboard is opened.
const DashboardScreen = lazy(() => import('./screens/DashboardScreen').then((m) => ({ default: m.DashboardScreen })));
// Management reports (issue 17): chart.js too, loaded when opened.
const ManagementScreen = lazy(() => import('./screens/ManagementScreen').then((m) => ({ default: m.ManagementScreen })));
// Campaigns and journeys (issue 16): chart.js too, loaded when opened.
const CampaignView = lazy(() => import('./screens/CampaignView').then((m) => ({ default: m.CampaignView })));
const JourneyView = lazy(() => import('./screens/JourneyView').then((m) => ({ default: m.JourneyView })));

const SCREEN_TITLES: Record<Route['name'], string> = {
  connect: 'Connect',
  inbox: 'Inbox',
  ticket: 'Ticket',
  dashboard: 'Dashboard',
  management: 'Management',
  customers: 'Customers',
  customer: 'Customer',
  sources: 'Sources',
  segments: 'Segments',
  'segment-new': 'New segment',
  segment: 'Segment',
  'segment-edit': 'Edit segment',
  matching: 'Match review',
  // Campaigns and journeys (issue 16).
  campaigns: 'Campaigns',
  'campaign-new': 'New campaign',
  campaign: 'Campaign',
  journeys: 'Journeys',
  journey: 'Journey',
  // Admin (issue 17).
  admin: 'Admin',
};

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
    const s = { conn: c, client: makeClient(c), live: makeLive(c), me: data.me };
    setSession((old) => {
      old?.live.close();
      return s;
    });
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
    const screen = SCREEN_TITLES[showConnect ? 'connect' : route.name];
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
          if (route.name === 'connect') window.location.hash = href(HOME);
        }}
        onCancel={session ? () => window.history.back() : undefined}
      />
    );
  }

  const disconnect = async () => {
    setSettings(await host.forgetKey());
    session.live.close();
    setSession(null);
    window.location.hash = href(HOME);
  };
  const role = session.me.role;
  const canWork = role === 'ADMIN' || role === 'AGENT';
  const canReport = role === 'ADMIN' || role === 'ANALYST';
  const active = (...names: Route['name'][]) => (names.includes(route.name) ? 'active' : '');

  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Tessera</span>
        <nav>
          <a href={href(HOME)} className={active('inbox', 'ticket')}>
            Inbox
          </a>
          {canReport && (
            <a href={href({ name: 'dashboard' })} className={active('dashboard')}>
              Dashboard
            </a>
          )}
          {role === 'ADMIN' && (
            <a href={href({ name: 'management' })} className={active('management')}>
              Management
            </a>
          )}
          <a href={href({ name: 'customers' })} className={active('customers', 'customer')}>
            Customers
          </a>
          <a href={href({ name: 'segments' })} className={active('segments', 'segment', 'segment-new', 'segment-edit')}>
            Segments
          </a>
          {canReport && (
            <a href={href({ name: 'matching' })} className={active('matching')}>
              Match review
            </a>
          )}
          <a href={href({ name: 'sources' })} className={active('sources')}>
            Sources
          </a>
          {/* Campaigns and journeys (issue 16): changes are ADMIN-only. */}
          {role === 'ADMIN' && (
            <a href={href({ name: 'campaigns' })} className={active('campaigns', 'campaign', 'campaign-new')}>
              Campaigns
            </a>
          )}
          {role === 'ADMIN' && (
            <a href={href({ name: 'journeys' })} className={active('journeys', 'journey')}>
              Journeys
            </a>
          )}
          {/* Admin (issue 17). */}
          {role === 'ADMIN' && (
            <a href={href({ name: 'admin', tab: 'keys' })} className={active('admin')}>
              Admin
            </a>
          )}
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
      <main className={route.name === 'inbox' || route.name === 'ticket' ? 'wide' : ''}>
        {route.name === 'customer' ? (
          <CustomerView key={route.id} id={route.id} client={session.client} host={host} canUnmerge={role === 'ADMIN'} canPredict={role === 'ADMIN'} />
        ) : route.name === 'sources' ? (
          <SourcesScreen client={session.client} host={host} role={role} serverUrl={session.conn.serverUrl} />
        ) : route.name === 'segments' ? (
          <SegmentsScreen client={session.client} canEdit={canReport} />
        ) : route.name === 'segment-new' ? (
          <SegmentEditor key="new" client={session.client} />
        ) : route.name === 'segment-edit' ? (
          <SegmentEditor key={`edit-${route.id}`} id={route.id} client={session.client} />
        ) : route.name === 'segment' ? (
          <SegmentView
            key={route.id}
            id={route.id}
            client={session.client}
            host={host}
            serverUrl={session.conn.serverUrl}
            canEdit={canReport}
            canWebhook={role === 'ADMIN'}
          />
        ) : route.name === 'matching' ? (
          <MatchScreen client={session.client} live={session.live} canDecide={role === 'ADMIN'} />
        ) : route.name === 'customers' ? (
          <CustomersScreen client={session.client} />
        ) : route.name === 'ticket' ? (
          <TicketView key={route.id} id={route.id} client={session.client} live={session.live} canWork={canWork} />
        ) : route.name === 'admin' ? (
          <AdminScreen key={route.tab} tab={route.tab} client={session.client} meId={session.me.id} />
        ) : (route.name === 'campaigns' || route.name === 'campaign' || route.name === 'campaign-new' || route.name === 'journeys' || route.name === 'journey') && role !== 'ADMIN' ? (
          // Campaigns and journeys (issue 16).
          <p className="empty">Campaigns and journeys are for admin keys.</p>
        ) : route.name === 'campaigns' ? (
          <CampaignsScreen client={session.client} />
        ) : route.name === 'campaign' || route.name === 'campaign-new' ? (
          <Suspense fallback={<p className="loading">Loading campaign…</p>}>
            <CampaignView key={route.name === 'campaign' ? route.id : 'new'} client={session.client} id={route.name === 'campaign' ? route.id : undefined} />
          </Suspense>
        ) : route.name === 'journeys' ? (
          <JourneysScreen client={session.client} />
        ) : route.name === 'journey' ? (
          <Suspense fallback={<p className="loading">Loading journey…</p>}>
            <JourneyView key={route.id} client={session.client} id={route.id} canChange={role === 'ADMIN'} />
          </Suspense>
        ) : route.name === 'management' ? (
          <Suspense fallback={<p className="loading">Loading reports…</p>}>
            <ManagementScreen client={session.client} />
          </Suspense>
        ) : route.name === 'dashboard' ? (
          <Suspense fallback={<p className="loading">Loading dashboard…</p>}>
            <DashboardScreen client={session.client} />
          </Suspense>
        ) : (
          <InboxScreen queueKey={route.queue} client={session.client} live={session.live} meId={session.me.id} />
        )}
      </main>
    </div>
  );
}
