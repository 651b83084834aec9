/* SPDX-License-Identifier: Apache-2.0 */
/*
 * uuid — random (version 4) UUIDs, for audit record ids and admin reload
 * request ids.
 */
#ifndef MX_CORE_UUID_H
#define MX_CORE_UUID_H

/* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lower-case, NUL-terminated. The
 * bits come from getrandom(2); should it fail, from the clock and a counter
 * (unique, not unpredictable). */
void mx_uuid4(char out[37]);

#endif
