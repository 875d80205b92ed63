// Segment size over time: members per day (line) with entered / exited per day (bars).
// Its own module so Chart.js is only loaded with a segment's page (lazy, like the dashboard).
import { BarController, BarElement, CategoryScale, Chart as ChartJS, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { Chart } from 'react-chartjs-2';
import { dayLabel } from '../lib/charts';

ChartJS.register(CategoryScale, LinearScale, BarController, BarElement, LineController, LineElement, PointElement, Tooltip, Legend);
ChartJS.defaults.animation = false;

export interface SizePoint {
  day: string;
  members: number;
  entered: number;
  exited: number;
}

const COLORS = { accent: '#3257d6', ok: '#1e7d4f', danger: '#c0392b' };

export function SegmentChart({ points }: { points: SizePoint[] }) {
  return (
    <div className="chart-box">
      <Chart
        type="bar"
        aria-label="Segment size per day"
        role="img"
        data={{
          labels: points.map((p) => dayLabel(p.day)),
          datasets: [
            { type: 'line' as const, label: 'Members', data: points.map((p) => p.members), borderColor: COLORS.accent, backgroundColor: COLORS.accent, yAxisID: 'members' },
            { type: 'bar' as const, label: 'Entered', data: points.map((p) => p.entered), backgroundColor: COLORS.ok, yAxisID: 'changes' },
            { type: 'bar' as const, label: 'Exited', data: points.map((p) => p.exited), backgroundColor: COLORS.danger, yAxisID: 'changes' },
          ],
        }}
        options={{
          maintainAspectRatio: false,
          scales: {
            members: { type: 'linear', position: 'left', beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'members' } },
            changes: { type: 'linear', position: 'right', beginAtZero: true, ticks: { precision: 0 }, grid: { drawOnChartArea: false }, title: { display: true, text: 'entered / exited' } },
          },
        }}
      />
    </div>
  );
}

export default SegmentChart;
