/// The UI's stylesheet and its one small script, served from the binary.
enum Assets {
    static let css = """
    :root { --ink:#1d2733; --muted:#5c6b7a; --line:#dfe5ec; --bg:#f5f7fa; --brand:#0b64dd; --ok:#17805a; --warn:#b8860b; --bad:#bd271e; }
    * { box-sizing:border-box; }
    body { margin:0; font:15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink); background:var(--bg); }
    header.top { display:flex; align-items:center; gap:24px; padding:0 24px; height:52px; background:#fff; border-bottom:1px solid var(--line); }
    .brand { font-weight:700; color:var(--ink); text-decoration:none; font-size:17px; }
    nav { display:flex; gap:4px; flex:1; }
    nav a { padding:6px 12px; border-radius:6px; color:var(--muted); text-decoration:none; }
    nav a.on, nav a:hover { background:#e8f0fc; color:var(--brand); }
    .who { display:flex; align-items:center; gap:10px; color:var(--muted); } .who em { font-style:normal; font-size:12px; background:var(--bg); padding:1px 6px; border-radius:8px; }
    main { max-width:1200px; margin:24px auto; padding:0 24px; }
    h1 { font-size:24px; margin:0 0 16px; } h2 { font-size:17px; margin:0 0 8px; }
    .heading { display:flex; justify-content:space-between; align-items:center; gap:12px; }
    .card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:16px 20px; margin:0 0 16px; }
    .card.narrow { max-width:380px; margin:60px auto; } .card.danger { border-color:#f1c4c0; } .card.ok { border-color:#b7e1cd; }
    table.grid { width:100%; border-collapse:collapse; background:#fff; border:1px solid var(--line); border-radius:8px; overflow:hidden; }
    .card table.grid { border:none; }
    .grid th { text-align:left; font-size:12px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); background:#fafbfc; }
    .grid th, .grid td { padding:9px 12px; border-bottom:1px solid var(--line); vertical-align:top; }
    .grid tr:last-child td { border-bottom:none; } .empty { color:var(--muted); text-align:center; padding:24px; }
    .sub { color:var(--muted); font-size:12px; } .mono, code, pre { font-family:ui-monospace, "SFMono-Regular", Menlo, monospace; font-size:13px; }
    .badge { display:inline-block; padding:2px 9px; border-radius:10px; font-size:12px; font-weight:600; color:#fff; background:var(--muted); }
    .badge.healthy { background:var(--ok); } .badge.unhealthy { background:var(--bad); } .badge.updating, .badge.enrolling { background:var(--brand); }
    .badge.offline { background:#8795a1; } .badge.unenrolled { background:#c2cad2; color:var(--ink); }
    .tag { display:inline-block; padding:0 7px; margin:1px 2px; border-radius:4px; font-size:12px; background:#eef1f5; }
    .tag.warn, .warn { color:var(--warn); } .tag.warn { background:#fbf3dc; }
    .counts { display:flex; gap:10px; margin:0 0 14px; } .count { padding:6px 12px; background:#fff; border:1px solid var(--line); border-radius:6px; color:var(--ink); text-decoration:none; }
    .count.healthy b { color:var(--ok); } .count.unhealthy b { color:var(--bad); } .count.updating b { color:var(--brand); }
    .filters, .row { display:flex; flex-wrap:wrap; gap:10px; align-items:flex-end; margin:0 0 14px; }
    input, select, textarea { font:inherit; padding:7px 9px; border:1px solid #c9d2dc; border-radius:6px; background:#fff; }
    textarea { width:100%; font-family:ui-monospace, Menlo, monospace; font-size:13px; }
    label { display:block; font-weight:600; } .row label, .filters label { font-weight:600; } .row input, .row select { display:block; margin-top:4px; }
    .card.narrow label input { display:block; width:100%; margin:4px 0 12px; font-weight:400; }
    label.inline { display:flex; gap:8px; align-items:center; font-weight:400; margin:10px 0; }
    .field { margin:0 0 14px; } .field input, .field select { width:100%; margin-top:4px; } .field textarea { margin-top:4px; }
    .help { color:var(--muted); font-size:13px; margin-top:3px; } .help code { background:#eef1f5; padding:0 4px; border-radius:3px; }
    details { border-top:1px solid var(--line); margin-top:14px; padding-top:10px; } summary { font-weight:600; cursor:pointer; margin-bottom:10px; }
    button, .button { font:inherit; padding:7px 14px; border-radius:6px; border:1px solid #c9d2dc; background:#fff; color:var(--ink); cursor:pointer; text-decoration:none; display:inline-block; }
    button.primary, .button.primary { background:var(--brand); border-color:var(--brand); color:#fff; }
    button.danger { background:var(--bad); border-color:var(--bad); color:#fff; } button.link { border:none; background:none; color:var(--brand); padding:0; }
    button.link.danger { color:var(--bad); background:none; } .actions { margin-top:16px; } .inline-danger { margin:-4px 0 16px; }
    .error { background:#fdecea; color:var(--bad); border:1px solid #f1c4c0; padding:10px 14px; border-radius:6px; }
    .flash { background:#e7f5ee; color:var(--ok); border:1px solid #b7e1cd; padding:10px 14px; border-radius:6px; margin-bottom:14px; }
    .flash:empty { display:none; } .hint { color:var(--muted); } .crumbs { color:var(--muted); margin:0 0 6px; } .crumbs a { color:var(--muted); }
    .copy { display:flex; gap:10px; align-items:flex-start; } .copy pre, .copy code { flex:1; background:#0f1722; color:#e6edf3; padding:12px 14px; border-radius:6px; overflow-x:auto; margin:0; white-space:pre; }
    dl.facts { display:grid; grid-template-columns:180px 1fr; gap:8px 16px; margin:0; } dl.facts dt { color:var(--muted); }
    .waiting { color:var(--brand); } .waiting.done { color:var(--ok); font-weight:600; }
    a { color:var(--brand); } .nowrap { white-space:nowrap; }
    .banner { padding:10px 14px; border-radius:6px; margin-bottom:14px; border:1px solid; }
    .banner.warn { background:#fff6e0; color:#7a5200; border-color:#f0d48a; } .banner.danger { background:#fdecea; color:var(--bad); border-color:#f1c4c0; }
    .badge.warn { background:#c98a00; } .badge.danger, .badge.expired, .badge.revoked { background:var(--bad); }
    ol.phases { display:flex; gap:10px; list-style:none; padding:0; margin:0 0 16px; }
    ol.phases li { flex:1; border:1px solid #d9e0e7; border-radius:6px; padding:10px 12px; display:flex; flex-direction:column; gap:4px; }
    ol.phases li.done { background:#e7f5ee; border-color:#b7e1cd; } ol.phases li.current { border:2px solid var(--brand); background:#eef4fb; }
    form.inline { display:inline-block; margin-right:8px; }
    """

    static let javascript = """
    document.addEventListener('click', (event) => {
      const button = event.target.closest('[data-copy]');
      if (!button) return;
      const text = document.getElementById(button.dataset.copy).textContent;
      navigator.clipboard.writeText(text).then(() => { button.textContent = 'Copied'; });
    });
    // The agents table refreshes itself every 10 s; the page works the same without it.
    const table = document.getElementById('agents-table');
    if (table) setInterval(async () => {
      const answer = await fetch(table.dataset.refresh, { credentials: 'same-origin' });
      if (!answer.ok) return;
      const page = new DOMParser().parseFromString(await answer.text(), 'text/html');
      const fresh = page.getElementById('agents-table');
      if (fresh) table.tBodies[0].replaceWith(fresh.tBodies[0]);
    }, 10000);
    // Add agent: says when an agent on the chosen policy checks in for the first time.
    const waiting = document.querySelector('[data-wait-agents]');
    if (waiting) {
      const known = Number(waiting.dataset.known);
      const poll = setInterval(async () => {
        const url = '/api/fleet/agents?kuery=' + encodeURIComponent('policy_id:' + waiting.dataset.waitAgents + ' and status:healthy');
        const answer = await fetch(url, { credentials: 'same-origin' });
        if (!answer.ok) return;
        const list = await answer.json();
        if (list.total > known) {
          const agent = list.items[list.items.length - 1];
          waiting.textContent = 'Agent ' + ((agent.local_metadata.host || {}).hostname || agent.id) + ' is online and Healthy.';
          waiting.classList.add('done');
          clearInterval(poll);
        }
      }, 2000);
    }
    """
}
