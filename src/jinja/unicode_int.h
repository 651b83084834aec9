/* SPDX-License-Identifier: Apache-2.0 */
/*
 * unicode_int — the shapes of the generated Unicode tables
 * (unicode_table.c, written by tests/unit/jinja/gen_unicase.py) that
 * unicode.c reads. Internal to the Jinja engine.
 */
#ifndef MX_JINJA_UNICODE_INT_H
#define MX_JINJA_UNICODE_INT_H

#include <stddef.h>
#include <stdint.h>

/* Code points lo, lo + stride, ... hi map to cp + delta. */
struct mx_uc_run {
	uint32_t lo, hi;
	int32_t stride, delta;
};

/* A code point whose mapping is several characters (UTF-8). */
struct mx_uc_special {
	uint32_t cp;
	const char *s;
};

struct mx_uc_range {
	uint32_t lo, hi;
};

#define MX_UC_TABLES(X) X(upper) X(lower) X(title) X(fold)
#define MX_UC_DECLARE_MAP(name)                                     \
	extern const struct mx_uc_run mx_uc_##name##_runs[];        \
	extern const size_t mx_uc_##name##_nruns;                   \
	extern const struct mx_uc_special mx_uc_##name##_special[]; \
	extern const size_t mx_uc_##name##_nspecial;
MX_UC_TABLES(MX_UC_DECLARE_MAP)

/* Code point ranges of each class (sorted, disjoint). */
extern const struct mx_uc_range mx_uc_cased[];
extern const size_t mx_uc_ncased;
extern const struct mx_uc_range mx_uc_ignorable[];
extern const size_t mx_uc_nignorable;
extern const struct mx_uc_range mx_uc_lowercase[];
extern const size_t mx_uc_nlowercase;
extern const struct mx_uc_range mx_uc_uppercase[];
extern const size_t mx_uc_nuppercase;
extern const struct mx_uc_range mx_uc_titlecase[];
extern const size_t mx_uc_ntitlecase;
extern const struct mx_uc_range mx_uc_alpha[];
extern const size_t mx_uc_nalpha;
extern const struct mx_uc_range mx_uc_decimal[];
extern const size_t mx_uc_ndecimal;
extern const struct mx_uc_range mx_uc_digit[];
extern const size_t mx_uc_ndigit;
extern const struct mx_uc_range mx_uc_numeric[];
extern const size_t mx_uc_nnumeric;
extern const struct mx_uc_range mx_uc_space[];
extern const size_t mx_uc_nspace;
extern const struct mx_uc_range mx_uc_printable[];
extern const size_t mx_uc_nprintable;

#endif
