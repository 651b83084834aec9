# SPDX-License-Identifier: Apache-2.0
"""
jinja_ref — the reference side of the differential test of src/jinja/
(test_jinja_diff.c runs it with Debian's /usr/bin/python3).

Builds the corpus — hand-written cases, one or more a known difference
between mxcp's engine and Jinja2, and cases generated from a small grammar
(seeded: the same corpus every run) — renders each with real Jinja2 as MXCP
does (jinja2.Template(text).render(**params): lenient Undefined, no
autoescape) and prints one JSON array of
  {"kind": "hand"|"gen", "name", "template", "context", "ok", "out"|"error"}
"hand" cases marked "refused" expect mxcp to refuse the template at compile
(validate) with an error naming the construct ("refused" holds the name).
"""
import datetime
import json
import random
import sys

import jinja2

CTX = {
    "name": "Ada",
    "n": 7,
    "k": 3,
    "x": 2.5,
    "neg": -4,
    "big": 9007199254740993,
    "nums": [3, 1, 2, 10],
    "words": ["pear", "Apple", "fig", "apple"],
    "user": {"name": "Bob", "age": 30, "tags": ["x", "y"], "items": "shadow"},
    "users": [
        {"name": "ann", "age": 31, "team": "b"},
        {"name": "Bob", "age": 25, "team": "a"},
        {"name": "cy", "age": 40, "team": "b", "admin": True},
    ],
    "text": "Hello wide World.\nSecond line here, with words_and-dashes.\n\nLast!",
    "empty": "",
    "none": None,
    "flag": True,
    "off": False,
    "u": "Stra\u00dfe \u00c9COLE \u01c6ungla \u03a3\u039f\u03a3 \u0130stanbul",
    "html": "<b class=\"x\">Tom & 'Jerry'</b>",
    "d": {"b": 2, "a": 1, "C": 3},
}

# ---- hand-written cases: (name, template[, context overrides]) ----

HAND = [
    # whitespace control strips Unicode whitespace
    ("ws-nbsp", "a\u00a0\u3000 {%- if 1 %}b{% endif -%} \u2028\u0085c"),
    ("ws-var", "x\u00a0{{- 1 -}}\u2009y"),
    # case mapping
    ("upper-sharp-s", "{{ 'stra\u00dfe'|upper }}"),
    ("lower-sigma", "{{ '\u039f\u0394\u039f\u03a3 \u03a3'|lower }}"),
    ("lower-dotted-i", "{{ '\u0130x'|lower }}|{{ ('\u0130x'|lower)|length }}"),
    ("title-digraph", "{{ '\u01c6ungla \u01c4x'|title }}|{{ '\u01c6a'.capitalize() }}"),
    ("upper-ligature", "{{ '\ufb01x \u0149'|upper }}"),
    ("u-all", "{{ u|upper }}|{{ u|lower }}|{{ u|title }}|{{ u|capitalize }}"),
    # tuples
    ("tuple-dictsort", "{{ d|dictsort }}"),
    ("tuple-items", "{{ d|items|list }}|{{ d.items()|list }}"),
    ("tuple-literal", "{{ (1, 'a') }}|{{ (1,) }}|{{ () }}"),
    ("tuple-loop", "{% for k, v in d|dictsort %}{{ (k, v) }}{% endfor %}"),
    # markup-safe strings
    ("markup-twice", "{{ html|e|e }}"),
    ("markup-concat", "{{ html|e + '<br>' }}"),
    ("markup-concat-l", "{{ '<i>' + html|e }}"),
    ("markup-safe", "{{ ('<b>'|safe + '<i>')|e }}|{{ ('<b>'|e ~ '<i>')|e }}"),
    ("markup-join", "{{ ['<a>', '&']|map('e')|join(', ') }}"),
    ("markup-format", "{{ '%s|%s'|e|format('<x>', 1) }}"),
    ("markup-fmt-safe", "{{ ('<p>%s</p>'|safe)|format('<x>') }}"),
    ("markup-forceescape", "{{ ('<b>'|safe)|forceescape }}|{{ ('<b>'|safe)|e }}"),
    ("markup-lower", "{{ (html|e)|upper }}|{{ (html|e).upper() }}"),
    # repr of non-printables
    ("repr-ctrl", "{{ ['a\\x00b', 'tab\\t', '\\x7f', '\\u200b', '\\u00ad', 'q\\'s', \"d\\\"q\", 'b\\\\s'] }}"),
    ("repr-quotes", "{{ [\"it's\", 'say \"hi\"', 'both \\' \"'] }}"),
    ("repr-dict", "{{ {'k\\n': 'v\\r'} }}"),
    # map attribute missing
    ("map-missing", "{{ users|map(attribute='admin')|list }}"),
    ("map-default", "{{ users|map(attribute='admin', default=0)|list }}"),
    # NUL
    ("nul-output", "a{{ '\\x00' }}b{{ z }}c", {"z": "x\u0000y"}),
    # indent
    ("indent-trailing", "{{ 'a\\nb\\n'|indent(2) }}|{{ 'a\\n\\nb'|indent(2) }}|{{ 'a\\n\\nb'|indent(2, blank=true) }}"),
    ("indent-unicode-lines", "{{ 'a\\u2028b\\x0bc\\x1cd\\u0085e'|indent(2, true) }}"),
    ("indent-first", "{{ 'x\\ny'|indent(3, first=true) }}|{{ 'x\\ny'|indent('> ') }}"),
    # wordcount
    ("wordcount", "{{ 'a-b c_d e.f ok! \u00e9t\u00e9 2x'|wordcount }}|{{ text|wordcount }}"),
    # dict method shadowing
    ("dict-items-key", "{% for k, v in m.items() %}{{ k }}={{ v }};{% endfor %}|{{ m.keys()|list }}|{{ m['items'] }}",
     {"m": {"items": 1, "keys": 2, "values": 3}}),
    ("dict-values-key", "{{ m.values()|list }}", {"m": {"values": 5}}),
    # big ints, comparisons above 2**53
    ("cmp-2-53", "{{ big > 9007199254740992.0 }}|{{ big == 9007199254740992.0 }}|{{ 9007199254740993 < 9007199254740992.5 }}"),
    ("bigint-arith", "{{ 2 ** 64 }}|{{ 10 ** 20 + 1 }}|{{ 9223372036854775807 + 1 }}|{{ (2 ** 70) // 3 }}"),
    ("bigint-mix", "{{ -(2 ** 63) - 1 }}|{{ (2 ** 65) % 7 }}|{{ 2 ** 64 * 1.5 }}|{{ (3 ** 50)|string|length }}"),
    ("bigint-lit", "{{ 123456789012345678901234567890 }}|{{ 123456789012345678901234567890 > 1 }}"),
    # inf / nan
    ("inf-nan", "{{ 1e308 * 10 }}|{{ -1e308 * 10 }}|{{ (1e308 * 10) - (1e308 * 10) }}|{{ 'inf'|float }}"),
    ("inf-cmp", "{{ (1e308 * 10) > 5 }}|{{ [1e308 * 10] }}|{{ 'nan'|float != 'nan'|float }}"),
    # format filter and % operator
    ("pct-basic", "{{ '%s is %d years' % ('Ann', 31) }}|{{ '%5.2f|%-4s|%04d' % (x, 'ab', 7) }}"),
    ("pct-single", "{{ 'v=%s' % name }}|{{ '%r' % 'q' }}|{{ '%x %o %X %e %g %%' % (255, 8, 255, 12345.678, 0.0001) }}"),
    ("pct-dict", "{{ '%(a)s-%(b)05.1f' % {'a': 'z', 'b': 2.25} }}"),
    ("pct-list", "{{ '%s' % [1, 2] }}|{{ '%s' % ((1, 2),) }}|{{ '%i|%+d|% d' % (3.9, 5, 5) }}"),
    ("format-filter", "{{ '%s=%s'|format('a', 1) }}|{{ '%(x)s'|format(x='kw') }}|{{ '%.3s'|format('abcdef') }}"),
    ("pct-star", "{{ '%*d|%-*s|' % (5, 42, 3, 'a') }}|{{ '%c%c' % (65, 'z') }}"),
    # str methods
    ("str-format", "{{ '{} and {}'.format('a', 1) }}|{{ '{0}{1}{0}'.format('x', 'y') }}|{{ '{n:>5}|{n:<4}|{n:^7}'.format(n='ab') }}"),
    ("str-format-spec", "{{ '{:.2f}|{:05d}|{:,}|{:x}|{!r}'.format(x, 42, 1234567, 255, 's') }}|{{ '{u[name]} {u[age]}'.format(u=user) }}"),
    ("str-methods1", "{{ 'ab'.center(6, '*') }}|{{ '42'.zfill(5) }}|{{ '-42'.zfill(6) }}|{{ 'ab'.ljust(4, '.') }}|{{ 'ab'.rjust(4) }}"),
    ("str-methods2", "{{ 'a,b,,c'.split(',') }}|{{ 'a b'.rsplit(None, 1) }}|{{ 'x\\ny\\r\\nz'.splitlines() }}|{{ 'Hello'.swapcase() }}|{{ 'abc'.index('c') }}"),
    ("str-methods3", "{{ 'a-b-c'.partition('-') }}|{{ 'a-b-c'.rpartition('-') }}|{{ 'abcabc'.rfind('b') }}|{{ 'Hello World'.istitle() }}|{{ 'ab'.isalnum() }}"),
    ("str-methods4", "{{ 'tEST'.casefold() }}|{{ 'pre_x'.removeprefix('pre_') }}|{{ 'x.txt'.removesuffix('.txt') }}|{{ 'a\\tb'.expandtabs(4) }}|{{ '12'.isnumeric() }}"),
    ("str-method-missing", "{{ 'abc'.nosuch }}|{{ 'abc'.nosuch is defined }}|{{ 'abc'.upper is defined }}"),
    ("list-methods", "{{ nums.index(2) }}|{{ nums.count(1) }}|{{ [1,2].copy() }}"),
    ("dict-methods", "{{ d.get('a') }}|{{ d.get('z', 9) }}|{{ d|length }}|{{ d.copy()|dictsort }}"),
    # filters that were missing
    ("wordwrap", "{{ 'the quick brown fox jumps over the lazy dog'|wordwrap(10) }}"),
    ("wordwrap-args", "{{ 'averyveryverylongword and more'|wordwrap(8, false) }}|{{ 'a b c d'|wordwrap(3, wrapstring='|') }}"),
    ("batch", "{{ nums|batch(3)|list }}|{{ nums|batch(3, 0)|list }}"),
    ("slice", "{{ nums|slice(3)|list }}|{{ [1,2,3,4,5]|slice(3, 'x')|list }}"),
    ("groupby", "{% for g in users|groupby('team') %}{{ g.grouper }}:{{ g.list|map(attribute='name')|join(',') }};{% endfor %}"),
    ("groupby-tuple", "{{ users|groupby('team')|map('first')|list }}|{% for t, l in users|groupby('team') %}{{ t }}{{ l|length }}{% endfor %}"),
    ("groupby-default", "{% for g, l in users|groupby('admin', default=false) %}{{ g }}={{ l|length }} {% endfor %}"),
    ("attr", "{{ user|attr('name') }}|{{ user|attr('nope') }}|{{ users|first|attr('age') }}"),
    ("striptags", "{{ '<p>Hi  <b>there</b></p>\\n<!-- c --> &amp; x'|striptags }}"),
    ("urlencode", "{{ 'a b&c/d?\u00e9'|urlencode }}|{{ {'q': 'a b', 'n': 1}|urlencode }}|{{ [('k', 'v w')]|urlencode }}"),
    ("filesizeformat", "{{ 0|filesizeformat }}|{{ 1|filesizeformat }}|{{ 1000|filesizeformat }}|{{ 123456789|filesizeformat }}|{{ 1048576|filesizeformat(true) }}|{{ (10 ** 15)|filesizeformat }}"),
    ("pprint", "{{ users|pprint }}|{{ 'x'|pprint }}|{{ d|pprint }}"),
    ("pprint-wrap", "{{ long|pprint }}|{{ ml|pprint }}|{{ nest|pprint }}|{{ [long, ml]|pprint }}|{{ (long,)|pprint }}",
     {"long": "word " * 40, "ml": "line one is here\n" * 8,
      "nest": {"k" * 30: ["v" * 30, ["t" * 40, 1], {"z": "q" * 70}], "a": list(range(40))}}),
    ("str-methods5", "{{ 'a,b,c'.rsplit(',', 1) }}|{{ ' a  b c  '.split(None, 1) }}|{{ '  a b  c '.rsplit(None, 1) }}|{{ 'a\\nb\\r\\n'.splitlines(true) }}|"
     "{{ 'abcabc'.find('b', 2) }}|{{ 'abcabc'.rindex('c', 0, 4) }}|{{ 'x_1'.isidentifier() }}|{{ '1x'.isidentifier() }}|"
     "{{ '\u00e9'.isascii() }}|{{ 'a\\tb'.isprintable() }}|{{ 'ab\\tc\\n\\td'.expandtabs() }}"),
    ("list-mutate", "{% set xs = [3, 1] %}{{ xs.append(2) }}{{ xs.extend([5, 4]) or '' }}{{ xs }}|{{ xs.pop() }}{{ xs.pop(0) }}|"
     "{% set _ = xs.insert(1, 9) %}{{ xs }}|{% set _ = xs.sort() %}{{ xs }}|{% set _ = xs.reverse() %}{{ xs }}|"
     "{% set _ = xs.remove(9) %}{{ xs }}|{{ xs.copy() }}{% set _ = xs.clear() %}{{ xs }}"),
    ("dict-mutate", "{% set e = {'a': 1} %}{{ e.setdefault('b', 2) }}{{ e.pop('a') }}{{ e.pop('z', 0) }}|"
     "{% set _ = e.update({'c': 3}) %}{{ e }}|{{ e.popitem() }}|{{ e.copy() }}"),
    ("bound-method", "{{ 'abc'.upper is callable }}|{{ 'abc'.nope is defined }}|{% set f = 'abc'.upper %}{{ f() }}|{{ user.items is defined }}|{{ user['items'] }}"),
    ("bigint-more", "{{ -(2 ** 63) }}|{{ (2 ** 63)|abs }}|{{ (-(2 ** 70))|abs }}|{{ 2 ** 64 == 2.0 ** 64 }}|{{ 2 ** 64 > 1e19 }}|"
     "{{ (2 ** 64)|float }}|{{ [2 ** 64]|tojson }}|{{ (10 ** 30) // -7 }}|{{ (10 ** 30) % -7 }}|{{ -(10 ** 30) // 7 }}|{{ (2 ** 64)|int }}"),
    ("bigint-cmp", "{{ 2 ** 70 > 2 ** 69 }}|{{ -(2 ** 70) < 5 }}|{{ [2 ** 65, 3, -(2 ** 66)]|sort }}|{{ [2 ** 65, 1]|max }}|{{ [2 ** 65, 1]|sum }}|{{ (2 ** 65) / 2 }}"),
    # date/time parameters (format: date, time, date-time) are datetime objects in MXCP
    ("datetime", "{{ ts }}|{{ ts.year }}-{{ ts.month }}-{{ ts.day }} {{ ts.hour }}:{{ ts.minute }}|{{ ts.isoformat() }}|"
     "{{ ts.strftime('%Y/%m/%d %H.%M.%S %a %b %j %z %Z %f %%') }}|{{ ts.weekday() }}{{ ts.isoweekday() }}|{{ ts.tzinfo }}|"
     "{{ [ts] }}|{{ ts.date() }}|{{ ts.time() }}|{{ ts > ts2 }}|{{ ts == ts }}|{{ ts|string|length }}",
     {"ts": datetime.datetime(2024, 1, 15, 10, 30, tzinfo=datetime.timezone.utc),
      "ts2": datetime.datetime(2023, 12, 31, 23, 59, 59, 500, tzinfo=datetime.timezone(datetime.timedelta(hours=-5)))}),
    ("date-time-kinds", "{{ d1 }}|{{ [d1] }}|{{ d1.strftime('%d %B %Y') }}|{{ d1.isoformat() }}|{{ t1 }}|{{ [t1] }}|{{ t1.hour }}|"
     "{{ t1.isoformat() }}|{{ naive }}|{{ [naive, ts2] }}|{{ ts2.tzinfo }}|{{ ts2.strftime('%z') }}|{{ d1 < d2 }}|{{ d1 is defined }}",
     {"d1": datetime.date(2024, 2, 29), "d2": datetime.date(2024, 3, 1), "t1": datetime.time(8, 5, 3, 120000),
      "naive": datetime.datetime(2024, 1, 15, 10, 30, 5),
      "ts2": datetime.datetime(2023, 12, 31, 23, 59, 59, 500, tzinfo=datetime.timezone(datetime.timedelta(hours=-5)))}),
    ("unknown-filter-soft", "{% if false %}{{ x|nosuch }}{% elif none %}{{ x|nosuch.either }}{% endif %}"
     "{{ 1 if true else y|nosuch2 }}{{ 'a'|nosuch3 if false }}ok"),
    ("inf-more", "{{ 'nan'|float }}|{{ '-inf'|float }}|{{ ('inf'|float) > 10 ** 30 }}|{{ ('inf'|float)|tojson }}|{{ ('inf'|float) is number }}"),
    # statements
    ("macro", "{% macro greet(who, greeting='Hi') %}{{ greeting }}, {{ who }}!{% endmacro %}{{ greet('Ann') }} {{ greet('Bo', greeting='Yo') }}"),
    ("macro-varargs", "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, z=4) }}"),
    ("macro-call", "{% macro wrap(t) %}<{{ t }}>{{ caller() }}</{{ t }}>{% endmacro %}{% call wrap('p') %}inside {{ name }}{% endcall %}"),
    ("macro-call-args", "{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(v) each([1,2]) %}[{{ v }}]{% endcall %}"),
    ("macro-scope", "{% set g = 1 %}{% macro m() %}{{ g }}{{ name }}{% set g = 5 %}{{ g }}{% endmacro %}{{ m() }}{{ g }}"),
    ("with", "{% with a = 1, b = name %}{{ a }}{{ b }}{% endwith %}{{ a }}"),
    ("with-nested", "{% set a = 'out' %}{% with a = 'in' %}{% set a = 'in2' %}{{ a }}{% endwith %}{{ a }}"),
    ("filter-block", "{% filter upper %}hello {{ name }}{% endfilter %}|{% filter replace('a', 'o')|title %}banana{% endfilter %}"),
    ("namespace", "{% set ns = namespace(total=0, found=false) %}{% for v in nums %}{% set ns.total = ns.total + v %}{% if v > 5 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.total }} {{ ns.found }}"),
    ("cycler", "{% set c = cycler('odd', 'even') %}{% for v in nums %}{{ c.next() }} {% endfor %}{{ c.current }}"),
    ("cycler-reset", "{% set c = cycler(1, 2, 3) %}{{ c.next() }}{{ c.next() }}{% set _ = c.reset() %}{{ c.next() }}"),
    ("joiner", "{% set j = joiner(' | ') %}{% for v in words %}{{ j() }}{{ v }}{% endfor %}"),
    ("select-ops", "{{ nums|select('>', 2)|list }}|{{ nums|reject('==', 1)|list }}|{{ users|selectattr('age', '>=', 31)|map(attribute='name')|list }}"),
    ("select-ops2", "{{ nums|select('lt', 3)|list }}|{{ nums|select('ne', 3)|list }}|{{ users|rejectattr('name', 'in', ['ann'])|map(attribute='name')|join }}"),
    ("loop-changed", "{% for u in users|sort(attribute='team') %}{% if loop.changed(u.team) %}[{{ u.team }}]{% endif %}{{ u.name }} {% endfor %}"),
    ("loop-recursive", "{% for item in tree recursive %}{{ item.name }}{% if item.children %}({{ loop(item.children) }}){% endif %}{{ loop.depth }};{% endfor %}",
     {"tree": [{"name": "a", "children": [{"name": "b", "children": []}, {"name": "c"}]}, {"name": "d"}]}),
    ("loop-prev-next", "{% for v in nums %}{{ loop.previtem }}<{{ v }}>{{ loop.nextitem }} {{ loop.cycle('x','y') }}{% endfor %}"),
    # {% raw +%} is a syntax error in Jinja2; plain raw works
    ("raw", "{% raw %}{{ x }}{% endraw %}|{%- raw -%} a {%- endraw -%} |"),
    # dates — MXCP passes date parameters as datetime; mxcp has no schema here
    # errors / limits are checked in test_jinja.c
    ("undefined", "[{{ missing }}][{{ user.missing }}][{{ missing is defined }}]"),
    ("float-print", "{{ 1.0 }}|{{ 1e16 }}|{{ 1.5e-7 }}|{{ 0.1 + 0.2 }}|{{ 1e22 }}|{{ 123456789.123 }}|{{ -0.0 }}"),
    ("round", "{{ 2.5|round }}|{{ 3.14159|round(2) }}|{{ 2.7|round(0, 'floor') }}|{{ 2.1|round(0, 'ceil') }}|{{ 5|round }}"),
    ("truncate", "{{ text|truncate(20) }}|{{ text|truncate(9, true) }}|{{ 'short'|truncate(10) }}"),
    ("tojson", "{{ users|first|tojson }}|{{ '<&>\\''|tojson }}|{{ d|tojson(2) }}"),
    ("sum-minmax", "{{ nums|sum }}|{{ nums|min }}|{{ words|max }}|{{ words|max(case_sensitive=true) }}|{{ users|sum(attribute='age') }}"),
    ("sort-attr", "{{ users|sort(attribute='age')|map(attribute='name')|join(',') }}|{{ words|sort }}|{{ words|sort(case_sensitive=true) }}"),
    ("unique", "{{ words|unique|list }}|{{ words|unique(case_sensitive=true)|list }}"),
    ("center", "[{{ 'ab'|center(7) }}]"),
    ("default", "{{ missing|default('dflt') }}|{{ empty|default('e', true) }}|{{ none|default('n') }}"),
    ("string-index", "{{ u[0] }}{{ u[-1] }}{{ u[3:8] }}{{ u|length }}{{ u[::-3] }}"),
]

# Refused constructs: mxcp must fail compile naming the construct.
REFUSED = [
    ("refuse-include", "{% include 'x.txt' %}", "include"),
    ("refuse-extends", "{% extends 'base' %}", "extends"),
    ("refuse-import", "{% import 'm' as m %}", "import"),
    ("refuse-raw-plus", "{% raw +%}x{% endraw %}", "raw"),
]


# ---- the grammar ----

class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def pick(self, xs):
        return self.r.choice(xs)

    def strlit(self):
        return self.pick(["'abc'", "'Hello World'", "''", "'a,b,c'", "' pad '", "'x'",
                          "'\u00e9t\u00e9'", "'stra\u00dfe'", "'<b>'", "'line1\\nline2'",
                          "\"it's\"", "'MiXeD case'", "'42'", "'a_b-c d'"])

    def s(self, d):
        """a str expression"""
        if d <= 0:
            return self.pick([self.strlit(), "name", "user.name", "text", "empty", "u",
                              "html", "words[0]", "user['name']"])
        c = self.r.randrange(24)
        a = lambda: self.s(d - 1)
        if c == 0:
            return "%s|%s" % (a(), self.pick(["upper", "lower", "title", "capitalize", "trim",
                                              "e", "striptags", "string", "urlencode", "safe"]))
        if c == 1:
            return "%s ~ %s" % (a(), self.pick([a(), self.num(d - 1)]))
        if c == 2:
            return "(%s + %s)" % (a(), a())
        if c == 3:
            return "%s|join(%s)" % (self.lst(d - 1), self.pick(["', '", "'-'", "''"]))
        if c == 4:
            return "%s|replace(%s, %s)" % (a(), self.pick(["'a'", "'l'", "' '", "'o'"]),
                                           self.pick(["'*'", "''", "'AA'"]))
        if c == 5:
            return "%s|truncate(%d)" % (a(), self.r.randrange(3, 20))
        if c == 6:
            return "%s|center(%d)" % (a(), self.r.randrange(0, 12))
        if c == 7:
            return "%s|indent(%d%s)" % (a(), self.r.randrange(0, 4),
                                        self.pick(["", ", true", ", first=true, blank=true"]))
        if c == 8:
            return "%s|wordwrap(%d)" % (a(), self.r.randrange(2, 15))
        if c == 9:
            return "'%s' %% (%s,)" % (self.pick(["%s", "<%s>", "%-6s|", "%5s", "%.2s"]), a())
        if c == 10:
            return "'%s' %% %s" % (self.pick(["%d", "%5.1f", "%+d", "%x", "%03d", "%s", "%e"]),
                                   self.num(d - 1))
        if c == 11:
            return "%s|format(%s)" % (self.pick(["'%s-%s'", "'[%s|%s]'"]), ", ".join([a(), self.num(d - 1)]))
        if c == 12:
            return "%s.%s()" % (a(), self.pick(["upper", "lower", "strip", "title", "capitalize",
                                                "swapcase", "casefold", "lstrip", "rstrip"]))
        if c == 13:
            return "%s.%s" % (a(), self.pick(["center(9, '.')", "zfill(6)", "ljust(5, '_')",
                                              "rjust(5)", "replace('a', 'b')", "split()|join('+')",
                                              "split(',')|join('/')", "partition(' ')|join('#')",
                                              "expandtabs(2)", "removeprefix('H')"]))
        if c == 14:
            return "%s.format(%s)" % (self.pick(["'{}!'", "'{0}-{0}'", "'{:>6}'", "'{:^7}'", "'{!r}'"]), a())
        if c == 15:
            return "%s[%s]" % (a(), self.pick(["0", "-1", "1:3", "::2", ":4", "-3:", "::-1"]))
        if c == 16:
            return "(%s if %s else %s)" % (a(), self.b(d - 1), a())
        if c == 17:
            return "%s|default(%s)" % (self.pick(["missing", "none", "empty", a()]), a())
        if c == 18:
            return "%s|filesizeformat%s" % (self.num(d - 1), self.pick(["", "(true)"]))
        if c == 19:
            return "%s|%s" % (self.pick([self.lst(d - 1), self.dct(d - 1), a(), self.num(d - 1)]),
                              self.pick(["pprint", "string", "tojson"]))
        if c == 20:
            return "%s|string" % self.lst(d - 1)
        if c == 21:
            return "%s|e|e" % a()
        if c == 22:
            return "%s * %d" % (a(), self.r.randrange(0, 3))
        return "%s|first" % self.pick(["words", "%s|sort" % self.slst(d - 1), a()])

    def num(self, d):
        if d <= 0:
            return self.pick(["n", "k", "x", "neg", "0", "1", "-3", "2.5", "1.0", "100",
                              "1e3", "user.age", "nums[1]", "big", "0.1", "1234567"])
        c = self.r.randrange(14)
        a = lambda: self.num(d - 1)
        if c == 0:
            return "(%s %s %s)" % (a(), self.pick(["+", "-", "*", "//", "%", "/", "**"]),
                                   self.pick(["2", "3", "k", "1.5", "n", "-2"]))
        if c == 1:
            return "%s|length" % self.pick([self.s(d - 1), self.lst(d - 1), "d"])
        if c == 2:
            return "%s|%s" % (self.lst(d - 1, nums=True), self.pick(["sum", "min", "max", "first", "last", "length"]))
        if c == 3:
            return "%s|%s" % (a(), self.pick(["abs", "int", "float", "round", "round(1)", "round(0, 'floor')"]))
        if c == 4:
            return "%s|wordcount" % self.s(d - 1)
        if c == 5:
            return "%s|int" % self.pick(["'42'", "'3.7'", "'x'", "'0x1A'", "' 7 '"])
        if c == 6:
            return "(%s if %s else %s)" % (a(), self.b(d - 1), a())
        if c == 7:
            return "range(%d)|sum" % self.r.randrange(0, 6)
        if c == 8:
            return "%s.count(%s)" % (self.s(d - 1), self.pick(["'a'", "'l'", "' '"]))
        if c == 9:
            return "%s|float" % self.pick(["'1.5'", "'inf'", "'-2'", "'nan'|length", "'abc'"])
        if c == 10:
            return "-%s" % a()
        if c == 11:
            return "(%s ** %d)" % (self.pick(["2", "3", "10", "-7"]), self.r.randrange(0, 70))
        if c == 12:
            return "%s.find(%s)" % (self.s(d - 1), self.pick(["'o'", "'x'"]))
        return "users|sum(attribute='age')"

    def slst(self, d):
        if d <= 0 or self.r.randrange(3) == 0:
            return self.pick(["words", "['b', 'a', 'C']", "user.tags", "text.split()", "name|list"])
        return "%s|%s" % (self.slst(d - 1), self.pick(["sort", "reverse|list", "unique|list",
                                                       "map('upper')|list", "sort(reverse=true)",
                                                       "map('trim')|list", "reject('eq', 'fig')|list"]))

    def lst(self, d, nums=False):
        if d <= 0:
            if nums:
                return self.pick(["nums", "[1, 2, 3]", "range(5)|list", "[2.5, 1, -3]"])
            return self.pick(["nums", "words", "[1, 'a', none]", "user.tags", "[]", "range(3)|list",
                              "[1, 2, 3]", "users|map(attribute='name')|list"])
        if nums:
            c = self.r.randrange(6)
            base = self.lst(d - 1, True)
            return [
                "%s|sort" % base,
                "%s|select('odd')|list" % base,
                "%s|reject('%s', %s)|list" % (base, self.pick([">", "<", "==", "!=", "ge"]), self.num(0)),
                "%s|map('abs')|list" % base,
                "(%s + %s)" % (base, self.lst(d - 1, True)),
                "%s[1:]" % base,
            ][c]
        c = self.r.randrange(16)
        if c == 0:
            return self.slst(d)
        if c == 1:
            return "%s|batch(%d%s)|list" % (self.lst(d - 1), self.r.randrange(1, 4), self.pick(["", ", 'F'"]))
        if c == 2:
            return "%s|slice(%d)|list" % (self.lst(d - 1), self.r.randrange(1, 4))
        if c == 3:
            return "%s|dictsort%s" % (self.dct(d - 1), self.pick(["", "(reverse=true)", "(by='value')"]))
        if c == 4:
            return "%s.items()|list" % self.dct(d - 1)
        if c == 5:
            return "users|selectattr('%s'%s)|map(attribute='name')|list" % (
                self.pick(["admin", "age", "team"]), self.pick(["", ", '>', 30", ", 'equalto', 'b'", ", 'defined'"]))
        if c == 6:
            return "users|map(attribute='%s')|list" % self.pick(["name", "age", "admin", "team"])
        if c == 7:
            return "users|groupby('team')|map('list')|list"
        if c == 8:
            return "%s|reverse|list" % self.lst(d - 1)
        if c == 9:
            return "%s.split(%s)" % (self.s(d - 1), self.pick(["", "','", "' '", "None, 1"]))
        if c == 10:
            return "%s|list" % self.s(d - 1)
        if c == 11:
            return "[%s, %s]" % (self.s(d - 1), self.num(d - 1))
        if c == 12:
            return "(%s, %s)" % (self.s(d - 1), self.num(d - 1))
        if c == 13:
            return "%s.%s()|list" % (self.dct(d - 1), self.pick(["keys", "values"]))
        if c == 14:
            return "%s|map('string')|list" % self.lst(d - 1)
        return "%s|unique|list" % self.lst(d - 1)

    def dct(self, d):
        return self.pick(["d", "user", "users[0]", "{'z': 1, 'a': [1, 2]}", "{'k': none, 'j': 'v'}",
                          "dict(a=1, b='x')", "{}"])

    def b(self, d):
        if d <= 0:
            return self.pick(["flag", "off", "none", "missing", "n > 3", "empty", "name"])
        c = self.r.randrange(10)
        if c == 0:
            return "%s %s %s" % (self.num(d - 1), self.pick(["<", ">", "==", "!=", "<=", ">="]), self.num(d - 1))
        if c == 1:
            return "%s is %s" % (self.pick([self.num(d - 1), self.s(d - 1), "missing", "none"]),
                                 self.pick(["odd", "even", "defined", "undefined", "none", "string",
                                            "number", "divisibleby(3)", "upper", "lower",
                                            "not none", "iterable", "sequence", "mapping"]))
        if c == 2:
            return "%s in %s" % (self.pick(["'a'", "'x'", "1", "'name'"]),
                                 self.pick([self.s(d - 1), self.lst(d - 1), "user", "d"]))
        if c == 3:
            return "not %s" % self.b(d - 1)
        if c == 4:
            return "(%s and %s)" % (self.b(d - 1), self.b(d - 1))
        if c == 5:
            return "(%s or %s)" % (self.b(d - 1), self.b(d - 1))
        if c == 6:
            return "%s == %s" % (self.s(d - 1), self.s(d - 1))
        if c == 7:
            return "%s.startswith(%s)" % (self.s(d - 1), self.pick(["'H'", "'a'", "('a', 'S')"]))
        if c == 8:
            return "%s|length > %d" % (self.lst(d - 1), self.r.randrange(0, 4))
        return "%s.%s()" % (self.s(d - 1), self.pick(["isdigit", "isalpha", "isupper", "islower",
                                                      "isspace", "isalnum", "istitle"]))

    def any(self, d):
        return self.pick([self.s, self.num, self.lst, self.b, self.dct])(d)

    def stmt(self, d):
        c = self.r.randrange(14 if d > 0 else 3)
        ws = lambda: self.pick(["", "", "-"])
        if c == 0:
            return self.pick(["Hello, ", "\n", "  line\n", " | ", "caf\u00e9 ", "\u00a0x ", "{ "])
        if c <= 2:
            return "{{%s %s %s}}" % (ws(), self.any(self.r.randrange(0, 3)), ws())
        if c == 3:
            return "{%% if %s %%}%s{%% elif %s %%}%s{%% else %%}%s{%% endif %%}" % (
                self.b(1), self.stmt(d - 1), self.b(1), self.stmt(d - 1), self.stmt(d - 1))
        if c == 4:
            return "{%%%s for v in %s %%}[{{ v }}{{ loop.index }}%s]{%% else %%}none{%% endfor %s%%}" % (
                ws(), self.lst(1), self.pick(["", "{{ loop.last }}", "{{ loop.revindex }}",
                                              "{{ loop.cycle('a','b') }}", "{{ loop.length }}"]), ws())
        if c == 5:
            return "{%% set t = %s %%}%s{{ t }}" % (self.any(1), self.stmt(d - 1))
        if c == 6:
            return "{%% with w = %s %%}{{ w }}%s{%% endwith %%}" % (self.any(1), self.stmt(d - 1))
        if c == 7:
            return ("{%% macro mm(a, b=%s) %%}<{{ a }}|{{ b }}>{%% endmacro %%}{{ mm(%s) }}{{ mm(%s, b=%s) }}"
                    % (self.s(0), self.any(1), self.num(0), self.s(1)))
        if c == 8:
            return "{%% filter %s %%}%s{%% endfilter %%}" % (
                self.pick(["upper", "title", "trim", "e", "replace('a', '@')", "indent(2)", "wordwrap(5)"]),
                self.stmt(d - 1))
        if c == 9:
            return ("{%% set ns = namespace(c=0) %%}{%% for v in %s %%}{%% set ns.c = ns.c + 1 %%}{%% endfor %%}{{ ns.c }}"
                    % self.lst(1))
        if c == 10:
            return "{%% for a, b in %s %%}{{ a }}={{ b }};{%% endfor %%}" % self.pick(
                ["d|dictsort", "user|dictsort", "d.items()", "users|groupby('team')", "[[1, 2], 'ab']"])
        if c == 11:
            return "{%% set q %%}%s{%% endset %%}{{ q|%s }}" % (self.stmt(d - 1), self.pick(["length", "upper", "e", "trim"]))
        if c == 12:
            return "{%% for v in %s %%}{%% if loop.changed(v) %%}{{ v }}{%% endif %%}{%% endfor %%}" % self.lst(1)
        return "{#%s c #}%s" % (ws(), self.stmt(d - 1))

    def template(self):
        return "".join(self.stmt(2) for _ in range(self.r.randrange(1, 4)))


def render(tpl, ctx):
    try:
        out = jinja2.Template(tpl).render(**ctx)
        return {"ok": True, "out": out}
    except Exception as exc:  # noqa: BLE001 - any Jinja error means "Jinja2 refuses"
        return {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc)}


def dt_json(v):
    """A date/time in a context: {"$datetime": kind letter + isoformat()} (test_jinja_diff.c
    turns it into mx_jinja_datetime)."""
    if isinstance(v, datetime.datetime):
        return {"$datetime": "D" + v.isoformat()}
    if isinstance(v, datetime.date):
        return {"$datetime": "d" + v.isoformat()}
    if isinstance(v, datetime.time):
        return {"$datetime": "t" + v.isoformat()}
    raise TypeError(repr(v))


def main():
    ngen = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 20240115
    cases = []
    for h in HAND:
        name, tpl = h[0], h[1]
        ctx = dict(CTX)
        if len(h) > 2:
            ctx.update(h[2])
        c = {"kind": "hand", "name": name, "template": tpl, "context": ctx}
        c.update(render(tpl, ctx))
        cases.append(c)
    for name, tpl, what in REFUSED:
        cases.append({"kind": "hand", "name": name, "template": tpl, "context": CTX, "refused": what,
                      **render(tpl, CTX)})
    g = Gen(seed)
    for i in range(ngen):
        tpl = g.template()
        c = {"kind": "gen", "name": "gen-%d" % i, "template": tpl, "context": CTX}
        c.update(render(tpl, CTX))
        cases.append(c)
    json.dump(cases, sys.stdout, ensure_ascii=False, default=dt_json)


if __name__ == "__main__":
    main()
