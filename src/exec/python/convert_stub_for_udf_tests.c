/* SPDX-License-Identifier: Apache-2.0 */
/*
 * convert_stub_for_udf_tests — TEMPORARY stand-in for convert.c's DuckDB
 * conversions (mxpy_from_duckdb, mxpy_to_duckdb), only the types the UDF
 * tests use (INTEGER, BIGINT, VARCHAR, DOUBLE, BOOLEAN, DATE, LIST, MAP,
 * STRUCT). Deleted once convert.c lands.
 */
#include "exec/python/py_int.h"

#include <string.h>

static PyObject *date_from_days(int32_t days)
{
	PyObject *mod = PyImport_ImportModule("datetime");
	if (mod == NULL)
		return NULL;
	PyObject *cls = PyObject_GetAttrString(mod, "date");
	Py_DECREF(mod);
	if (cls == NULL)
		return NULL;
	/* 1970-01-01 is ordinal 719163. */
	PyObject *r = PyObject_CallMethod(cls, "fromordinal", "i", 719163 + days);
	Py_DECREF(cls);
	return r;
}

static int row_valid(duckdb_vector vec, idx_t row)
{
	uint64_t *v = duckdb_vector_get_validity(vec);
	return v == NULL || duckdb_validity_row_is_valid(v, row);
}

static PyObject *child_value(duckdb_vector vec, duckdb_logical_type type, idx_t row)
{
	if (!row_valid(vec, row))
		return Py_NewRef(Py_None);
	return mxpy_from_duckdb(vec, type, row);
}

PyObject *mxpy_from_duckdb(duckdb_vector vec, duckdb_logical_type type, idx_t row)
{
	void *data = duckdb_vector_get_data(vec);
	switch (duckdb_get_type_id(type)) {
	case DUCKDB_TYPE_INTEGER: return PyLong_FromLong(((int32_t *)data)[row]);
	case DUCKDB_TYPE_BIGINT: return PyLong_FromLongLong(((int64_t *)data)[row]);
	case DUCKDB_TYPE_DOUBLE: return PyFloat_FromDouble(((double *)data)[row]);
	case DUCKDB_TYPE_BOOLEAN: return PyBool_FromLong(((bool *)data)[row]);
	case DUCKDB_TYPE_DATE: return date_from_days(((duckdb_date *)data)[row].days);
	case DUCKDB_TYPE_VARCHAR: {
		duckdb_string_t *s = &((duckdb_string_t *)data)[row];
		return PyUnicode_FromStringAndSize(duckdb_string_t_data(s), duckdb_string_t_length(*s));
	}
	case DUCKDB_TYPE_LIST: {
		duckdb_list_entry e = ((duckdb_list_entry *)data)[row];
		duckdb_vector child = duckdb_list_vector_get_child(vec);
		duckdb_logical_type ct = duckdb_list_type_child_type(type);
		PyObject *l = PyList_New((Py_ssize_t)e.length);
		for (idx_t i = 0; l && i < e.length; i++) {
			PyObject *v = child_value(child, ct, e.offset + i);
			if (v == NULL)
				Py_CLEAR(l);
			else
				PyList_SET_ITEM(l, (Py_ssize_t)i, v);
		}
		duckdb_destroy_logical_type(&ct);
		return l;
	}
	case DUCKDB_TYPE_MAP: {
		duckdb_list_entry e = ((duckdb_list_entry *)data)[row];
		duckdb_vector entries = duckdb_list_vector_get_child(vec);
		duckdb_vector keys = duckdb_struct_vector_get_child(entries, 0);
		duckdb_vector values = duckdb_struct_vector_get_child(entries, 1);
		duckdb_logical_type kt = duckdb_map_type_key_type(type),
		                    vt = duckdb_map_type_value_type(type);
		PyObject *d = PyDict_New();
		for (idx_t i = 0; d && i < e.length; i++) {
			PyObject *k = child_value(keys, kt, e.offset + i);
			PyObject *v = k ? child_value(values, vt, e.offset + i) : NULL;
			if (v == NULL || PyDict_SetItem(d, k, v) != 0)
				Py_CLEAR(d);
			Py_XDECREF(k);
			Py_XDECREF(v);
		}
		duckdb_destroy_logical_type(&kt);
		duckdb_destroy_logical_type(&vt);
		return d;
	}
	case DUCKDB_TYPE_STRUCT: {
		PyObject *d = PyDict_New();
		idx_t n = duckdb_struct_type_child_count(type);
		for (idx_t i = 0; d && i < n; i++) {
			char *name = duckdb_struct_type_child_name(type, i);
			duckdb_logical_type ct = duckdb_struct_type_child_type(type, i);
			PyObject *v = child_value(duckdb_struct_vector_get_child(vec, i), ct, row);
			if (v == NULL || PyDict_SetItemString(d, name, v) != 0)
				Py_CLEAR(d);
			Py_XDECREF(v);
			duckdb_free(name);
			duckdb_destroy_logical_type(&ct);
		}
		return d;
	}
	default: PyErr_SetString(PyExc_NotImplementedError, "stub: DuckDB type not converted"); return NULL;
	}
}

static int set_child(PyObject *o, duckdb_vector vec, duckdb_logical_type type, idx_t row)
{
	if (o == Py_None) {
		duckdb_vector_ensure_validity_writable(vec);
		duckdb_validity_set_row_invalid(duckdb_vector_get_validity(vec), row);
		return 0;
	}
	return mxpy_to_duckdb(o, vec, type, row);
}

int mxpy_to_duckdb(PyObject *o, duckdb_vector vec, duckdb_logical_type type, idx_t row)
{
	void *data = duckdb_vector_get_data(vec);
	switch (duckdb_get_type_id(type)) {
	case DUCKDB_TYPE_INTEGER: {
		long v = PyLong_AsLong(o);
		if (v == -1 && PyErr_Occurred())
			return -1;
		if (v < INT32_MIN || v > INT32_MAX) {
			PyErr_SetString(PyExc_OverflowError, "value out of INTEGER range");
			return -1;
		}
		((int32_t *)data)[row] = (int32_t)v;
		return 0;
	}
	case DUCKDB_TYPE_DOUBLE: {
		double v = PyFloat_AsDouble(o);
		if (v == -1.0 && PyErr_Occurred())
			return -1;
		((double *)data)[row] = v;
		return 0;
	}
	case DUCKDB_TYPE_BOOLEAN: {
		int v = PyObject_IsTrue(o);
		if (v < 0)
			return -1;
		((bool *)data)[row] = v;
		return 0;
	}
	case DUCKDB_TYPE_DATE: {
		PyObject *ord = PyObject_CallMethod(o, "toordinal", NULL);
		if (ord == NULL)
			return -1;
		long v = PyLong_AsLong(ord);
		Py_DECREF(ord);
		((duckdb_date *)data)[row].days = (int32_t)(v - 719163);
		return 0;
	}
	case DUCKDB_TYPE_VARCHAR: {
		PyObject *s = PyObject_Str(o);
		Py_ssize_t n;
		const char *t = s ? PyUnicode_AsUTF8AndSize(s, &n) : NULL;
		if (t != NULL)
			duckdb_vector_assign_string_element_len(vec, row, t, (idx_t)n);
		Py_XDECREF(s);
		return t ? 0 : -1;
	}
	case DUCKDB_TYPE_LIST: {
		PyObject *seq = PySequence_Fast(o, "a LIST result must be a sequence");
		if (seq == NULL)
			return -1;
		idx_t n = (idx_t)PySequence_Fast_GET_SIZE(seq), at = duckdb_list_vector_get_size(vec);
		duckdb_list_vector_reserve(vec, at + n);
		duckdb_list_vector_set_size(vec, at + n);
		duckdb_vector child = duckdb_list_vector_get_child(vec);
		duckdb_logical_type ct = duckdb_list_type_child_type(type);
		int rc = 0;
		for (idx_t i = 0; rc == 0 && i < n; i++)
			rc = set_child(PySequence_Fast_GET_ITEM(seq, (Py_ssize_t)i), child, ct, at + i);
		duckdb_destroy_logical_type(&ct);
		Py_DECREF(seq);
		((duckdb_list_entry *)duckdb_vector_get_data(vec))[row] = (duckdb_list_entry){at, n};
		return rc;
	}
	case DUCKDB_TYPE_STRUCT: {
		idx_t n = duckdb_struct_type_child_count(type);
		int rc = 0;
		for (idx_t i = 0; rc == 0 && i < n; i++) {
			char *name = duckdb_struct_type_child_name(type, i);
			duckdb_logical_type ct = duckdb_struct_type_child_type(type, i);
			PyObject *v = PyMapping_GetItemString(o, name);
			rc = v ? set_child(v, duckdb_struct_vector_get_child(vec, i), ct, row) : -1;
			Py_XDECREF(v);
			duckdb_free(name);
			duckdb_destroy_logical_type(&ct);
		}
		return rc;
	}
	default: PyErr_SetString(PyExc_NotImplementedError, "stub: DuckDB type not converted"); return -1;
	}
}
