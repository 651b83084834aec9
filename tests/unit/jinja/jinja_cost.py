# SPDX-License-Identifier: Apache-2.0
"""The templates of test_jinja_cost.c under real Jinja2, timed the same way:
/usr/bin/python3 tests/unit/jinja/jinja_cost.py"""
import time

import jinja2

S = "".join(chr(ord("a") + i % 26) for i in range(100000))
U = "".join("\u00e9" if i % 10 == 9 else chr(ord("a") + i % 26) for i in range(100000))
CASES = [
    ("index every char (ascii)",
     "{% set ns = namespace(n=0) %}{% for i in range(s|length) %}{% if s[i] == 'z' %}"
     "{% set ns.n = ns.n + 1 %}{% endif %}{% endfor %}{{ ns.n }}"),
    ("index every char (non-ascii)",
     "{% set ns = namespace(n=0) %}{% for i in range(u|length) %}{% if u[i] == '\\u00e9' %}"
     "{% set ns.n = ns.n + 1 %}{% endif %}{% endfor %}{{ ns.n }}"),
    ("|length x 20000", "{% for i in range(20000) %}{% set n = u|length %}{% endfor %}{{ u|length }}"),
    ("slice s[i:i+3] x 20000",
     "{% set ns = namespace(n=0) %}{% for i in range(20000) %}{% set ns.n = ns.n + (u[i * 4:i * 4 + 3]|length) "
     "%}{% endfor %}{{ ns.n }}"),
    ("concat s ~ s x 200",
     "{% set ns = namespace(t='') %}{% for i in range(200) %}{% set ns.t = u ~ s %}{% endfor %}{{ ns.t|length }}"),
    ("s + s x 200",
     "{% set ns = namespace(t='') %}{% for i in range(200) %}{% set ns.t = u + s %}{% endfor %}{{ ns.t|length }}"),
    ("replace x 100",
     "{% for i in range(100) %}{% set t = u|replace('a', 'xy') %}{% endfor %}{{ (u|replace('a', 'xy'))|length }}"),
    ("append char x 20000",
     "{% set ns = namespace(t='') %}{% for i in range(20000) %}{% set ns.t = ns.t ~ 'x' %}{% endfor %}"
     "{{ ns.t|length }}"),
]
for name, tpl in CASES:
    t = jinja2.Template(tpl)
    t0 = time.monotonic()
    out = t.render(s=S, u=U)
    print("jinja2 cost: %-34s %8.3f s  (%s)" % (name, time.monotonic() - t0, out[:20]))
