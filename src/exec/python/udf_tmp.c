/* SPDX-License-Identifier: Apache-2.0 */
/* udf_tmp — TEMPORARY: no plugin UDFs until udf.c lands. */
#include "exec/python/py_int.h"

int mxpy_udfs_register(struct mx_db *db, PyObject *plugins, struct mxpy_udfs **out, struct mx_err *err)
{
	(void)db, (void)plugins, (void)err;
	*out = NULL;
	return 0;
}
void mxpy_udfs_free(struct mxpy_udfs *u)
{
	(void)u;
}
