/* SPDX-License-Identifier: Apache-2.0 */
/* suggest — see suggest.h. */
#include "core/suggest.h"

#include <string.h>

#define MAX_WORD 255

size_t mx_suggest_distance(const char *a, const char *b, size_t limit)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > MAX_WORD || m > MAX_WORD)
		return limit + 1;
	if ((n > m ? n - m : m - n) > limit)
		return limit + 1;
	/* Three rows of the table: i-2, i-1 and i. */
	size_t rows[3][MAX_WORD + 1];
	for (size_t j = 0; j <= m; j++)
		rows[0][j] = j;
	for (size_t i = 1; i <= n; i++) {
		size_t *cur = rows[i % 3], *prev = rows[(i - 1) % 3], *prev2 = rows[(i - 2 + 3) % 3];
		cur[0] = i;
		for (size_t j = 1; j <= m; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (prev[j - 1] + cost < best)
				best = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
	}
	size_t d = rows[n % 3][m];
	return d > limit ? limit + 1 : d;
}

const char *mx_suggest(const char *word, const char *const *candidates, size_t n)
{
	size_t len = strlen(word);
	if (len == 0)
		return NULL;
	size_t limit = len / 3;
	if (limit < 1)
		limit = 1;
	if (limit > 3)
		limit = 3;
	const char *best = NULL;
	size_t best_d = limit + 1;
	for (size_t i = 0; i < n; i++) {
		if (candidates[i] == NULL || strcmp(candidates[i], word) == 0)
			continue;
		size_t d = mx_suggest_distance(word, candidates[i], limit);
		if (d < best_d) {
			best = candidates[i];
			best_d = d;
		}
	}
	if (best == NULL && len >= 3)
		for (size_t i = 0; i < n; i++)
			if (candidates[i] && strncmp(candidates[i], word, len) == 0)
				return candidates[i];
	return best;
}
