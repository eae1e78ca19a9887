/**
 * The HTML report's stylesheet, inlined and admitted by its hash in the page's
 * Content-Security-Policy. System fonts only; light and dark schemes; below 760px wide, tables
 * turn into stacked cards so nothing overflows a phone's screen. ASCII only, so its hash does not
 * depend on an encoding.
 */
export const STYLE = String.raw`
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--panel:#f6f8fa;--accent:#0969da;--warn-bg:#fff8c5;--warn-line:#d4a72c;
--critical:#7b1fa2;--high:#c62828;--medium:#d35400;--low:#0b6e99;--info:#6e7781;--ok:#1a7f37;--stale:#8c959f}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--panel:#151b23;--accent:#4493f8;--warn-bg:#2e2a12;--warn-line:#9e6a03;
--critical:#d2a8ff;--high:#ff7b72;--medium:#ffa657;--low:#79c0ff;--info:#9198a1;--ok:#3fb950;--stale:#6e7681}}
*{box-sizing:border-box}
[hidden]{display:none!important}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0 auto;max-width:1280px;padding:0 1.25rem 2rem;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;overflow-wrap:anywhere}
h1{font-size:1.5rem;margin:1.25rem 0 .5rem}
h2{font-size:1.2rem;margin:2rem 0 .75rem;padding-bottom:.25rem;border-bottom:1px solid var(--line)}
h3{font-size:.95rem;margin:.25rem 0 .4rem}
a{color:var(--accent)}
code{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.muted{color:var(--muted);font-weight:normal}
.top{border-bottom:1px solid var(--line);padding-bottom:.75rem}
.meta{display:flex;flex-wrap:wrap;gap:.25rem 2rem;margin:0}
.meta div{min-width:0}
.meta dt{font-size:.75rem;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
.meta dd{margin:0}
.warning{background:var(--warn-bg);border:1px solid var(--warn-line);border-radius:6px;padding:.5rem .75rem;margin:1rem 0 0}
.note{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:.5rem .75rem}
.verdict{font-size:1rem;margin:.25rem 0 .75rem}
.sev{display:inline-block;border-radius:4px;padding:0 .4em;font-weight:600;color:var(--bg);background:var(--info)}
.sev.s-critical{background:var(--critical)}.sev.s-high{background:var(--high)}.sev.s-medium{background:var(--medium)}.sev.s-low{background:var(--low)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(7.5rem,1fr));gap:.5rem;list-style:none;margin:0 0 1rem;padding:0}
.card{border:1px solid var(--line);border-left:6px solid var(--info);border-radius:6px;padding:.4rem .6rem;background:var(--panel);min-width:0}
.card .n{display:block;font-size:1.5rem;font-weight:700;line-height:1.1}
.card .what{color:var(--muted)}
.card.s-critical{border-left-color:var(--critical)}.card.s-high{border-left-color:var(--high)}.card.s-medium{border-left-color:var(--medium)}.card.s-low{border-left-color:var(--low)}
.card.suppressed{border-left-color:var(--stale)}.card.errors{border-left-color:var(--warn-line)}
.chart{margin:0 0 1.25rem;padding:.75rem;border:1px solid var(--line);border-radius:6px;min-width:0}
.chart figcaption{font-weight:600;margin-bottom:.4rem}
.hint{color:var(--muted);font-size:.85rem;margin:0 0 .5rem}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0 0 .5rem;padding:0;color:var(--muted);font-size:.85rem}
.swatch{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;margin-right:.3rem;vertical-align:-.1rem;background:var(--info)}
.swatch.s-critical{background:var(--critical)}.swatch.s-high{background:var(--high)}.swatch.s-medium{background:var(--medium)}.swatch.s-low{background:var(--low)}
.bars{display:grid;gap:.3rem}
.bar{display:grid;grid-template-columns:minmax(0,11rem) minmax(0,1fr) 3rem;align-items:center;gap:.6rem;min-width:0;border-radius:4px}
#control-chart .bar{grid-template-columns:minmax(0,15rem) minmax(0,1fr) 2.5rem}
.bar .label{min-width:0}
.bar .count{text-align:right;font-variant-numeric:tabular-nums;font-weight:600}
.bar.unchecked .count{color:var(--muted);font-weight:normal}
.bar.link{cursor:pointer}
.bar.link:hover,.bar.link:focus{background:var(--panel);outline:1px solid var(--line)}
.track{display:block;width:100%;height:14px;background:var(--panel);border-radius:2px}
.track rect{fill:var(--info)}
.track rect.s-critical{fill:var(--critical)}.track rect.s-high{fill:var(--high)}.track rect.s-medium{fill:var(--medium)}.track rect.s-low{fill:var(--low)}
.cid{font-weight:600;font-variant-numeric:tabular-nums}
.ctitle{color:var(--muted);font-size:.85rem}
.nocheck{font-size:.7rem;border:1px solid var(--line);border-radius:3px;padding:0 .25rem;color:var(--muted);white-space:nowrap}
.groups{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,30rem),1fr));gap:.75rem 1.5rem}
.group{min-width:0}
.filters{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,11rem),1fr));gap:.5rem .75rem;align-items:end;margin:0 0 .5rem}
.filters>*{min-width:0}
.filters label{display:block;font-size:.8rem;color:var(--muted)}
.filters select,.filters input[type=search]{display:block;width:100%;max-width:100%;margin-top:.15rem;font:inherit;color:var(--fg);background:var(--bg);border:1px solid var(--line);border-radius:4px;padding:.25rem .35rem}
.filters .severities{grid-column:1/-1;display:flex;flex-wrap:wrap;gap:.25rem 1rem;border:0;margin:0;padding:0}
.filters .severities legend{font-size:.8rem;color:var(--muted);padding:0;margin-bottom:.15rem;float:left;width:100%}
.filters .check{display:inline-flex;align-items:center;gap:.2rem;color:var(--fg);font-size:.9rem}
.filters .search{grid-column:span 2}
@media (max-width:520px){.filters .search{grid-column:1/-1}}
button{font:inherit;color:var(--fg);background:var(--panel);border:1px solid var(--line);border-radius:4px;padding:.25rem .75rem;cursor:pointer}
button:disabled{opacity:.5;cursor:default}
.status-line{color:var(--muted);margin:.25rem 0 .5rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:.4rem .5rem;border-bottom:1px solid var(--line);min-width:0}
th{font-size:.8rem;color:var(--muted);font-weight:600;border-bottom-width:2px}
td.num{text-align:right;font-variant-numeric:tabular-nums}
table.findings{table-layout:fixed}
col.c-sev{width:7.5rem}col.c-rule{width:15%}col.c-obj{width:15%}col.c-loc{width:17%}
tr.suppressed td{background:var(--panel)}
tr.suppressed .msg{color:var(--muted)}
.badge{display:inline-block;margin-top:.2rem;font-size:.72rem;border:1px solid var(--stale);border-radius:3px;padding:0 .3rem;color:var(--muted)}
.rtitle{color:var(--muted);font-size:.85rem}
.msg{white-space:pre-line}
.path{display:block;color:var(--muted);margin-top:.15rem}
.supinfo{margin-top:.2rem;font-size:.85rem;color:var(--muted)}
details{margin-top:.25rem}
summary{cursor:pointer;color:var(--accent);font-size:.85rem}
.detail{margin:.35rem 0 .2rem;display:grid;grid-template-columns:minmax(0,8rem) minmax(0,1fr);gap:.2rem .75rem;padding:.5rem;background:var(--panel);border-radius:4px}
.detail dt{color:var(--muted);font-size:.8rem}
.detail dd{margin:0;white-space:pre-line}
.status{display:inline-block;border-radius:3px;padding:0 .35rem;font-size:.8rem;font-weight:600;color:var(--bg);background:var(--stale)}
.status.active{background:var(--ok)}.status.expired{background:var(--high)}
.expires.soon{font-weight:600;color:var(--medium)}
.errors{padding-left:1.2rem}
.errors .code{font-size:.8rem;color:var(--muted)}
.pager{display:flex;flex-wrap:wrap;align-items:center;gap:.75rem;margin:.75rem 0}
.foot{margin-top:2.5rem;padding-top:.75rem;border-top:1px solid var(--line);color:var(--muted);font-size:.85rem}
@media (max-width:760px){
body{padding:0 .75rem 1.5rem}
table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
table.stack thead,table.stack colgroup{display:none}
table.stack tr{border:1px solid var(--line);border-radius:6px;margin:0 0 .6rem;padding:.35rem .6rem}
table.stack td{border:0;padding:.15rem 0}
table.stack td::before{content:attr(data-label);display:block;font-size:.7rem;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
td.num{text-align:left}
.bar{grid-template-columns:minmax(0,8.5rem) minmax(0,1fr) 2.25rem;gap:.4rem}
#control-chart .bar{grid-template-columns:minmax(0,1fr) 2.25rem;gap:0 .4rem}
#control-chart .bar .label{grid-column:1/-1}
.detail{grid-template-columns:minmax(0,1fr)}
}
@media print{.filters,.pager,summary{display:none!important}.chart,tr{break-inside:avoid}}
`;
