/* SPDX-License-Identifier: Apache-2.0 */
/*
 * suggest — "did you mean": the candidate nearest to a mistyped word
 * (optimal string alignment distance, so a swapped pair counts once), for
 * unknown commands, options, profiles and endpoint names. Pure functions.
 */
#ifndef MX_CORE_SUGGEST_H
#define MX_CORE_SUGGEST_H

#include <stddef.h>

/* Edit distance between a and b (insert, delete, substitute, swap two
 * neighbours), capped at limit + 1 (words longer than 255 bytes give it). */
size_t mx_suggest_distance(const char *a, const char *b, size_t limit);

/* The nearest of n candidates within a third of the word's length (at
 * least 1, at most 3 edits), or NULL. Ties go to the first candidate. A
 * candidate that starts with the word (an abbreviation) also counts. */
const char *mx_suggest(const char *word, const char *const *candidates, size_t n);

#endif
