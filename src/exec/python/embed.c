/* SPDX-License-Identifier: Apache-2.0 */
/*
 * embed — the interpreter of mxcp_python.so (see py_int.h).
 */
#include "exec/python/py_int.h"
