// The pool's charts (Chart.js), drawn into the canvases with ids cash, exposure, claims, loss and
// reconciliation: on the dashboard page and on the treasury's home page of the console. Amounts arrive as
// Money, { amount: fen as a string of digits, currency }; charts show yuan. Display only: nothing is
// computed here that a figure of the ledger depends on.
(() => {
  const yuan = (money) => Number(money.amount) / 100;
  const charts = {};
  window.dashboard = { drawn: {}, errors: [] };

  function draw(id, config, points) {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    charts[id]?.destroy();
    charts[id] = new Chart(canvas, { ...config, options: { responsive: true, animation: false, ...(config.options ?? {}) } });
    canvas.dataset.points = String(points);
    window.dashboard.drawn[id] = points;
  }

  /** Draws every chart of `pool` for `year`, with `key` (none: the session of the person signed in). */
  async function load({ pool, year, key, status }) {
    const say = (text) => status && (status.textContent = text);
    async function api(path) {
      const headers = key ? { authorization: `Bearer ${key}` } : {};
      const res = await fetch(`/v1/pools/${encodeURIComponent(pool)}${path}`, { headers });
      const body = await res.json();
      if (!res.ok) throw new Error(`${res.status} ${body.title ?? ''}: ${body.detail ?? ''}`);
      return body;
    }
    say('加载中 Loading…');
    try {
      const today = new Date().toISOString().slice(0, 10);
      const [cash, agreements, claims, rec] = await Promise.all([
        api('/reports/cash'), api(`/reports/agreements?year=${year}`), api('/reports/claims'), api(`/reconciliation?as_of=${today}`),
      ]);
      draw('cash', {
        type: 'line',
        data: { labels: cash.rows.map((r) => r.day), datasets: [{ label: '余额 Balance', data: cash.rows.map((r) => yuan(r.balance)), borderColor: '#1f4e79', stepped: true }] },
      }, cash.rows.length);
      const banks = agreements.rows.map((r) => `${r.bank} (#${r.agreement_id})`);
      draw('exposure', {
        type: 'bar',
        data: { labels: banks, datasets: [
          { label: '已用 Used', data: agreements.rows.map((r) => yuan(r.exposure_used)), backgroundColor: '#f0b429' },
          { label: '授信额度 Credit line', data: agreements.rows.map((r) => yuan(r.credit_line)), backgroundColor: '#9fb3c8' },
        ] },
      }, agreements.rows.length);
      const statusNames = { submitted: '已提交 submitted', deferred: '暂缓 deferred', approved: '已批准 approved', rejected: '已驳回 rejected', paid: '已支付 paid', closed: '已结案 closed' };
      draw('claims', {
        type: 'bar',
        data: { labels: claims.rows.map((r) => statusNames[r.status] ?? r.status), datasets: [
          { label: '笔数 Claims', data: claims.rows.map((r) => r.claims), backgroundColor: '#3e7cb1' },
          { label: '逾期 Overdue', data: claims.rows.map((r) => r.overdue), backgroundColor: '#d64545' },
        ] },
      }, claims.rows.length);
      draw('loss', {
        type: 'bar',
        data: { labels: banks, datasets: [
          { label: '损失率 Loss ratio', data: agreements.rows.map((r) => r.loss_ratio_bp / 100), backgroundColor: '#d64545' },
          { label: '暂停阈值 Suspension threshold', data: agreements.rows.map((r) => r.suspension_threshold_bp / 100), backgroundColor: '#9fb3c8' },
        ] },
      }, agreements.rows.length);
      draw('reconciliation', {
        type: 'bar',
        data: { labels: ['对账单余额 Statement', '账面现金 Ledger cash', '未达账项 Unmatched lines', '未达账项 Unmatched postings'], datasets: [{
          label: rec.reconciled ? '已平 Reconciled' : `差额 Difference ${yuan(rec.difference).toFixed(2)}`,
          data: [yuan(rec.statement_balance), yuan(rec.ledger_cash),
                 rec.unmatched_lines.reduce((s, l) => s + yuan(l.amount), 0), rec.unmatched_postings.reduce((s, p) => s + yuan(p.amount), 0)],
          backgroundColor: ['#1f4e79', '#3e7cb1', '#f0b429', '#d64545'],
        }] },
      }, 4);
      say(`已更新 Updated ${new Date().toLocaleTimeString()}`);
    } catch (err) {
      window.dashboard.errors.push(String(err));
      say(`出错 Error: ${err.message}`);
    }
  }
  window.poolCharts = { load };

  // A page that says which pool to draw (the console's home page) is drawn at once, with the session.
  const here = document.querySelector('[data-pool-charts]');
  if (here) load({ pool: here.dataset.pool, year: here.dataset.year, status: here.querySelector('[role=status]') });
})();
