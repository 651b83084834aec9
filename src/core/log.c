/* SPDX-License-Identifier: Apache-2.0 */
/* log — see log.h. */
#include "core/log.h"

#include "core/time.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static atomic_int current_level = MX_LOG_WARNING;

void mx_log_set_level(enum mx_log_level lvl)
{
	atomic_store(&current_level, (int)lvl);
}

enum mx_log_level mx_log_get_level(void)
{
	return (enum mx_log_level)atomic_load(&current_level);
}

int mx_log_parse_level(const char *s)
{
	if (s == NULL)
		return -1;
	if (!strcasecmp(s, "debug"))
		return MX_LOG_DEBUG;
	if (!strcasecmp(s, "info"))
		return MX_LOG_INFO;
	if (!strcasecmp(s, "warning") || !strcasecmp(s, "warn"))
		return MX_LOG_WARNING;
	if (!strcasecmp(s, "error") || !strcasecmp(s, "critical"))
		return MX_LOG_ERROR;
	if (!strcasecmp(s, "off") || !strcasecmp(s, "none"))
		return MX_LOG_OFF;
	return -1;
}

void mx_log(enum mx_log_level lvl, const char *fmt, ...)
{
	static const char *names[] = {"DEBUG", "INFO", "WARNING", "ERROR"};
	if ((int)lvl < atomic_load(&current_level) || lvl >= MX_LOG_OFF)
		return;
	char line[4096];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	size_t t =
	        mx_time_format_iso8601(line, sizeof line, ts.tv_sec, (int32_t)ts.tv_nsec, 3, MX_ISO_ZONE_Z);
	int n = (int)t + snprintf(line + t, sizeof line - t, " %s ", names[lvl]);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}
