"""The stylesheet of the HTML page (html.py), inline in every page: no file, font or image is ever loaded.

Fonts: the system's, through a stack whose every member has Cyrillic glyphs. Layout: CSS grid that falls to
one column at phone width and fills 1920 px. Print: no navigation, the board one stage after another with no
card split across pages, colours of the heat table kept.
"""

STYLESHEET = """
:root{--fg:#1c2330;--muted:#5a6474;--line:#d8dde5;--bg:#f4f6f9;--panel:#fff;--lane:#e8ecf2;--accent:#2c5cb0;
--bar:#3a6ccf;--bar-optional:#a9bfe9;--stale:#7a4f00;--stale-bg:#ffefc2;--overdue:#9c1c1c;--overdue-bg:#fcdede}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;color:var(--fg);background:var(--bg);overflow-wrap:break-word;
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans","Liberation Sans",Arial,sans-serif}
code,.id,pre{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace}
a{color:var(--accent)}
header{background:var(--panel);border-bottom:1px solid var(--line);padding:1rem 1.5rem .75rem}
h1{margin:0 0 .4rem;font-size:1.5rem}
h2{font-size:1.25rem;margin:1.75rem 0 .2rem}
h3{font-size:1rem}
.facts{display:flex;flex-wrap:wrap;gap:.2rem 1.75rem;margin:0;font-size:.9rem}
.facts div{display:flex;gap:.4rem;min-width:0}
.facts dt{color:var(--muted)}
.facts dd{margin:0;font-weight:600;overflow-wrap:anywhere}
.warning{margin:.6rem 0 0;padding:.4rem .7rem;border-radius:6px;background:var(--overdue-bg);color:var(--overdue)}
nav{position:sticky;top:0;z-index:2;background:var(--panel);border-bottom:1px solid var(--line)}
nav ul{display:flex;flex-wrap:wrap;gap:.15rem 1.2rem;list-style:none;margin:0;padding:.45rem 1.5rem}
nav a{text-decoration:none;font-weight:600}
main{padding:0 1.5rem 2rem;max-width:2400px;margin:0 auto}
section{scroll-margin-top:3rem}
.lead{color:var(--muted);margin:.2rem 0 .9rem}
.headline{font-weight:600;margin:.6rem 0}
.note{color:var(--muted);font-size:.85rem}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.nowrap{white-space:nowrap}
/* the board */
.board{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,13.5rem),1fr));gap:.75rem;align-items:start}
.column{background:var(--lane);border-radius:8px;padding:.5rem;min-width:0}
.column h3{margin:.1rem .15rem 0;font-size:.95rem}
.colsum{display:flex;justify-content:space-between;gap:.5rem;margin:.1rem .15rem .5rem;color:var(--muted);font-size:.85rem}
.cards{list-style:none;margin:0;padding:0;display:grid;gap:.4rem}
.card{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:.4rem .55rem;
overflow-wrap:anywhere;break-inside:avoid}
.card p{margin:0}
.card .title{font-weight:600;font-size:.9rem;line-height:1.3}
.card .title a{color:inherit;text-decoration:none}
.card .title a:hover{text-decoration:underline}
.card .client{color:var(--muted);font-size:.83rem;margin-top:.1rem}
.card .row{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:baseline;gap:.1rem .4rem;
font-size:.8rem;margin-top:.2rem}
.card .amount{font-weight:600;font-size:.85rem}
.card .days{color:var(--muted)}
.id{color:var(--muted);font-size:.78rem}
.mark{border-radius:4px;padding:0 .3rem;font-weight:600;font-size:.75rem;white-space:nowrap}
.mark.stale{background:var(--stale-bg);color:var(--stale)}
.mark.overdue{background:var(--overdue-bg);color:var(--overdue)}
.more{font-size:.85rem;color:var(--muted);margin:.45rem .15rem .1rem}
/* the reports */
.reports{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,36rem),1fr));gap:0 2.5rem}
.reports>section{min-width:0}
#funnel,#losses,#payments{grid-column:1/-1}
.funnelwrap{display:grid;grid-template-columns:minmax(0,64rem) minmax(15rem,26rem);gap:1rem 3rem;align-items:start}
.funnelwrap .tiles{grid-column:2;grid-row:1;grid-template-columns:repeat(2,minmax(0,1fr))}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(7.5rem,1fr));gap:.5rem;margin:0 0 1rem}
.tile{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:.35rem .6rem;display:flex;
flex-direction:column}
.tvalue{font-size:1.35rem;font-weight:700;font-variant-numeric:tabular-nums}
.tlabel,.tdetail{font-size:.8rem;color:var(--muted)}
.funnel{list-style:none;margin:0;padding:0}
.funnel li{display:grid;grid-template-columns:minmax(7rem,13rem) minmax(0,1fr) 3rem 4.2rem;gap:.6rem;
align-items:center;padding:.12rem 0}
.funnel .head{color:var(--muted);font-size:.78rem}
.funnel .name{font-size:.9rem;line-height:1.2}
.funnel .bar{display:block;width:100%;height:1.35rem}
.funnel .bar rect{fill:var(--bar)}
.funnel .optional{margin:.35rem 0 .35rem 1.5rem;padding-left:.5rem;border-left:3px dashed var(--bar-optional)}
.funnel .optional .bar rect{fill:var(--bar-optional);stroke:var(--bar);stroke-width:1.5;stroke-dasharray:5 3;
vector-effect:non-scaling-stroke}
.funnel small{display:inline-block;font-size:.72rem;color:var(--muted);border:1px solid var(--line);border-radius:3px;
padding:0 .25rem}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;background:var(--panel);font-size:.88rem;margin:0 0 .6rem}
caption{text-align:left;font-weight:600;padding:.35rem 0}
th,td{padding:.28rem .5rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{font-size:.8rem;color:var(--muted);font-weight:600;vertical-align:bottom}
tfoot th,tfoot td{font-weight:700;border-top:2px solid var(--line)}
th.num{text-align:right}
.minibar{display:inline-block;width:3rem;height:.6rem;margin-left:.4rem}
.minibar rect{fill:var(--bar)}
.heat th.reason{font-size:.75rem;min-width:4.2rem;max-width:7rem;white-space:normal;text-align:center}
.heat tbody th,.heat tfoot th{font-weight:600;white-space:nowrap}
.heat td.num{text-align:center}
.heat td.heat{background:rgb(200 40 40 / calc(var(--heat) * .85 + .08));font-weight:700}
.heat td.hot{color:#fff}
.heat td.heat0{color:var(--line)}
.heat td.total{text-align:right;border-left:1px solid var(--line)}
.heatlist{display:none;list-style:none;margin:0;padding:0}
.heatlist>li{background:var(--panel);border-bottom:1px solid var(--line);padding:.35rem .5rem}
.heatlist p{margin:0 0 .25rem}
.heatlist ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.3rem}
.heatlist li.heat{background:rgb(200 40 40 / calc(var(--heat) * .85 + .08));border-radius:4px;padding:.05rem .4rem;
font-size:.85rem;font-weight:600}
.heatlist li.hot{color:#fff}
/* deal cards */
.deals{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,31rem),1fr));gap:1rem;align-items:start}
.deal{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:.6rem .9rem;min-width:0;
break-inside:avoid}
.deal:target{outline:3px solid var(--accent)}
.deal h3{margin:.1rem 0 .5rem;line-height:1.3}
.deal h3 .id{display:block;font-weight:400}
.deal dl{display:grid;grid-template-columns:minmax(7rem,max-content) minmax(0,1fr);gap:.15rem 1rem;margin:0;
font-size:.9rem}
.deal dl div{display:contents}
.deal dt{color:var(--muted)}
.deal dd{margin:0;overflow-wrap:anywhere}
.notes{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--bg);border-radius:6px;padding:.5rem .7rem;
font-size:.85rem;margin:.6rem 0 0}
.back{margin:.5rem 0 0;font-size:.85rem}
@media (max-width:900px){
.funnelwrap{grid-template-columns:minmax(0,1fr)}
.funnelwrap .tiles{grid-column:auto;grid-row:auto}
}
@media (max-width:640px){
header{padding:.8rem 1rem .6rem}
nav ul,main{padding-left:1rem;padding-right:1rem}
.funnel li{grid-template-columns:minmax(0,1fr) 3.2rem 4.6rem;gap:.1rem .5rem}
.funnel .name{grid-column:1/-1}
.funnel .head .name{display:none}
.funnel .optional{margin-left:1rem}
.heat{display:none}
.heatlist{display:block}
table{font-size:.82rem}
th,td{padding:.25rem .3rem}
th.num{white-space:normal}
.minibar{display:none}
table.stack thead{display:none}
table.stack,table.stack tbody,table.stack tfoot,table.stack caption{display:block}
table.stack tr{display:flex;flex-wrap:wrap;gap:0 1rem;border-bottom:1px solid var(--line);padding:.3rem .5rem}
table.stack td,table.stack tfoot td{border:0;padding:0;white-space:normal;text-align:left}
table.stack td:first-child{flex-basis:100%;font-weight:600}
table.stack td:not(:first-child)::before{content:attr(data-label) ": ";color:var(--muted);font-weight:400}
table.stack td:empty{display:none}
.deal dl{grid-template-columns:minmax(0,1fr)}
.deal dt{font-size:.8rem;margin-top:.3rem}
}
@media print{
@page{margin:14mm 12mm}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{background:#fff;font-size:10pt}
nav{display:none}
header{border:0;padding:0 0 .5rem}
main{padding:0;max-width:none}
a{color:inherit;text-decoration:none}
h2,.lead,.headline,caption{break-after:avoid}
.board,.reports{display:block}
table{font-size:8pt}
th,td{padding:.15rem .3rem}
thead th,.heat th.reason{font-size:7pt}
th.num{white-space:normal}
.heat th,.heat td{padding:.15rem .2rem}
.heat th.reason{min-width:0;max-width:none}
.heat tbody th,.heat tfoot th{white-space:normal}
.column{background:none;border-top:2px solid var(--fg);border-radius:0;padding:.3rem 0 .8rem}
.column h3,.colsum{break-after:avoid}
.cards{grid-template-columns:repeat(3,minmax(0,1fr))}
.card,.deal,.tile,tr,.funnel li{break-inside:avoid}
.scroll{overflow:visible}
#cards{break-before:page}
.deals{display:block}
.deal{margin:0 0 .6rem}
.back{display:none}
}
""".strip()
