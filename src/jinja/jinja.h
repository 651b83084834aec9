/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jinja — a Jinja2-subset template engine over jansson values (the public
 * API of src/jinja/; jinja_int.h has the layout of the engine).
 *
 * Prompt messages (spec §4.4) are Jinja2 templates rendered with the
 * prompt's validated parameters, as MXCP does with jinja2.Template: no
 * autoescape, undefined names render as "", one trailing newline of the
 * source is dropped, values print as Python's str() (1.0, True, None,
 * ['a', 'b'], {'k': 1}).
 *
 * A compiled template is immutable: render it from any number of threads.
 * Syntax errors and render errors fill struct mx_err with
 * "line L, column C: message" (L:C inside the template; also in err->line,
 * err->col, err->file left empty).
 *
 * Supported: text, {{ expr }}, {# comments #}, whitespace control ({%- -%}
 * {{- -}} {#- -#}), {% raw %}, {% if/elif/else %}, {% for x in xs [if c] %}
 * with {% else %} and loop.*, {% set %} (also ns.attr and block form),
 * {% macro %}, {% call %}, {% with %}, {% filter %}. Expressions: literals,
 * names, a.b, a['b'], a[0], slices, calls of Python's str/list/dict methods
 * and range()/dict()/namespace()/cycler()/joiner(), filters, tests,
 * not/and/or, comparisons, in, + - * / // % ** (ints of any size, inf and
 * nan), ~, inline if. Case mapping and character classes are Python's.
 * Refused at compile, naming the construct: {% include %}, {% import %},
 * {% extends %}, {% block %} and the other tags of loaders and extensions,
 * the filters random/urlize/xmlattr, lipsum(). An unknown filter is a
 * compile error, except inside an {% if %} branch or an inline if, where
 * (as in Jinja2) it fails only when it runs.
 */
#ifndef MX_JINJA_JINJA_H
#define MX_JINJA_JINJA_H

#include "core/buf.h"
#include "core/err.h"

#include <jansson.h>

/* Bounds against hostile templates. */
#define MX_JINJA_MAX_SOURCE ((size_t)16 << 20) /* bytes of template text */
#define MX_JINJA_MAX_NESTING 64 /* nested {% if %} / {% for %} / {% set %} blocks */
#define MX_JINJA_MAX_EXPR_DEPTH 64 /* depth of one expression's tree */
#define MX_JINJA_MAX_ITERATIONS 1000000L /* loop iterations per render, all loops together */
#define MX_JINJA_MAX_ITEMS 100000 /* items of a list built while rendering (range(), l * n) */
#define MX_JINJA_MAX_STRING ((size_t)64 << 20) /* any intermediate string (also capped by the output max) */

struct mx_jinja_template;

/* Compile text (NUL-terminated UTF-8). On success *out owns the template. */
int mx_jinja_compile(const char *text, struct mx_jinja_template **out, struct mx_err *err);
void mx_jinja_free(struct mx_jinja_template *t);

/*
 * Names the template reads from its context without defining them itself,
 * as jinja2.meta.find_undeclared_variables reports them: {% for %} targets
 * and {% set %} targets are excluded, a.b counts as a, globals (range, dict)
 * are not variables. A new JSON array of strings, sorted and unique; NULL
 * when out of memory.
 */
json_t *mx_jinja_free_variables(const struct mx_jinja_template *t);

/*
 * Render with context (a JSON object, or NULL for none) and append the text
 * to out, bounded by out->max (MX_ELIMIT past it). On failure out is left
 * as it was and err says why and where.
 */
int mx_jinja_render(const struct mx_jinja_template *t, const json_t *context, struct mx_buf *out,
                    struct mx_err *err);

/*
 * Python's datetime.date / datetime.time / datetime.datetime as a context
 * value (MXCP passes `format: date|time|date-time` parameters to prompts
 * as such objects): from ISO text as mx_type_convert writes it
 * ("2024-01-15", "10:30:00", "2024-01-15T10:30:00+00:00"). It prints as
 * str() does ("2024-01-15 10:30:00+00:00"), has .year … .microsecond,
 * .tzinfo, .isoformat(), .strftime(), .weekday() and compares. A new
 * reference to put in the context; NULL when the text is not such ISO
 * text or out of memory.
 */
enum mx_jinja_dt { MX_JINJA_DATE, MX_JINJA_TIME, MX_JINJA_DATETIME };
json_t *mx_jinja_datetime(enum mx_jinja_dt kind, const char *iso);

#endif
