/* SPDX-License-Identifier: Apache-2.0 */
/*
 * convert — values between Python and the rest of mxcp (see py_int.h):
 *
 *   JSON → Python     call arguments; strings of `format: date|time|
 *                     date-time|timestamp` as datetime objects, the way
 *                     MXCP's TypeConverter hands them to user code
 *   Python → JSON     results, the way a client of MXCP sees them (MXCP's
 *                     serialize_for_output, then FastMCP's pydantic JSON):
 *                     isoformat for datetimes, ISO 8601 durations for
 *                     timedelta, pandas and numpy unwrapped
 *   DuckDB → Python   db.execute rows and UDF arguments, the way MXCP's
 *                     fetchdf().to_dict("records") gives them, but NULL is
 *                     always None (docs/python.md lists the differences)
 *   Python → DuckDB   db.execute parameters (duckdb_values) and UDF
 *                     results (written into an output vector)
 *
 * Every function runs with the GIL held, except the DuckDB execution in
 * mxpy_db_execute, which runs with the GIL released (the result chunks are
 * converted with it taken back, one chunk at a time). DuckDB values are
 * read through a converter tree built once per result column.
 */
#include "exec/python/py_int.h"

#include "core/alloc.h"
#include "core/base64.h"
#include "core/time.h"

#include <datetime.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef __int128 mx_i128;
__extension__ typedef unsigned __int128 mx_u128;

#define MXPY_DEPTH_MAX 256
#define US_PER_SEC INT64_C(1000000)
#define US_PER_DAY INT64_C(86400000000)

static PyObject *decimal_type; /* decimal.Decimal */
static PyObject *uuid_type; /* uuid.UUID */
static PyObject *enum_type; /* enum.Enum */
static PyObject *dataclasses_asdict; /* dataclasses.asdict */

static PyObject *import_attr(const char *module, const char *name)
{
	PyObject *m = PyImport_ImportModule(module);
	if (m == NULL)
		return NULL;
	PyObject *a = PyObject_GetAttrString(m, name);
	Py_DECREF(m);
	return a;
}

int mxpy_convert_init(void)
{
	PyDateTime_IMPORT;
	if (PyDateTimeAPI == NULL)
		return -1;
	if (decimal_type == NULL && (decimal_type = import_attr("decimal", "Decimal")) == NULL)
		return -1;
	if (uuid_type == NULL && (uuid_type = import_attr("uuid", "UUID")) == NULL)
		return -1;
	if (enum_type == NULL && (enum_type = import_attr("enum", "Enum")) == NULL)
		return -1;
	if (dataclasses_asdict == NULL && (dataclasses_asdict = import_attr("dataclasses", "asdict")) == NULL)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------ */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* hi·2^64 + lo as a Python int (hi signed or not). */
static PyObject *int128_py(mx_i128 v)
{
	if (v >= INT64_MIN && v <= INT64_MAX)
		return PyLong_FromLongLong((long long)v);
	int neg = v < 0;
	mx_u128 mag = neg ? (mx_u128)0 - (mx_u128)v : (mx_u128)v;
	char buf[48];
	size_t i = sizeof buf;
	buf[--i] = '\0';
	do {
		buf[--i] = (char)('0' + (int)(mag % 10));
		mag /= 10;
	} while (mag);
	if (neg)
		buf[--i] = '-';
	return PyLong_FromString(buf + i, NULL, 10);
}

static PyObject *uint128_py(mx_u128 v)
{
	if (v <= (mx_u128)INT64_MAX)
		return PyLong_FromLongLong((long long)v);
	char buf[48];
	size_t i = sizeof buf;
	buf[--i] = '\0';
	do {
		buf[--i] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	return PyLong_FromString(buf + i, NULL, 10);
}

/* A Python int as a 128-bit integer; -1 with OverflowError/TypeError. */
static int py_int128(PyObject *o, mx_i128 *out)
{
	PyObject *idx = PyNumber_Index(o);
	if (idx == NULL)
		return -1;
	int overflow = 0;
	long long v = PyLong_AsLongLongAndOverflow(idx, &overflow);
	if (!overflow) {
		Py_DECREF(idx);
		if (v == -1 && PyErr_Occurred())
			return -1;
		*out = v;
		return 0;
	}
	/* Through its decimal text: rare, and exact. */
	PyObject *s = PyObject_Str(idx);
	Py_DECREF(idx);
	const char *p = s ? PyUnicode_AsUTF8(s) : NULL;
	if (p == NULL) {
		Py_XDECREF(s);
		return -1;
	}
	int neg = *p == '-';
	if (neg)
		p++;
	mx_u128 mag = 0;
	const mx_u128 limit = ((mx_u128)1 << 127);
	int ok = 1;
	for (; *p && ok; p++) {
		if (mag > (limit - (mx_u128)(*p - '0')) / 10)
			ok = 0;
		mag = mag * 10 + (mx_u128)(*p - '0');
	}
	Py_DECREF(s);
	if (!ok || (!neg && mag == limit)) {
		PyErr_SetString(PyExc_OverflowError, "int too large for a 128-bit integer");
		return -1;
	}
	*out = neg ? -(mx_i128)(mag - 1) - 1 : (mx_i128)mag;
	return 0;
}

static PyObject *datetime_from_days(int64_t days, int64_t us_of_day, PyObject *tz)
{
	int64_t y;
	int m, d;
	mx_civil_from_days(days, &y, &m, &d);
	if (y < 1 || y > 9999)
		return PyErr_Format(PyExc_ValueError,
		                    "year %" PRId64 " is out of range for Python's datetime (1 to 9999)", y);
	int64_t s = us_of_day / US_PER_SEC;
	return PyDateTimeAPI->DateTime_FromDateAndTime((int)y, m, d, (int)(s / 3600), (int)(s / 60 % 60),
	                                               (int)(s % 60), (int)(us_of_day % US_PER_SEC), tz,
	                                               PyDateTimeAPI->DateTimeType);
}

/* A timestamp in micros since the epoch; infinities are None. */
static PyObject *timestamp_py(int64_t us, int utc)
{
	if (us == INT64_MAX || us == -INT64_MAX)
		Py_RETURN_NONE;
	int64_t days = floor_div(us, US_PER_DAY);
	return datetime_from_days(days, us - days * US_PER_DAY, utc ? PyDateTime_TimeZone_UTC : Py_None);
}

static PyObject *time_py(int64_t us, PyObject *tz)
{
	int64_t s = us / US_PER_SEC;
	if (us < 0 || s >= 86400) /* 24:00:00 has no datetime.time */
		s = 86399, us = s * US_PER_SEC + 999999;
	return PyDateTimeAPI->Time_FromTime((int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60),
	                                    (int)(us % US_PER_SEC), tz, PyDateTimeAPI->TimeType);
}

/* ------------------------------------------------------------------------ */
/* JSON → Python                                                             */
/* ------------------------------------------------------------------------ */

PyObject *mxpy_from_json(const json_t *v)
{
	if (v == NULL)
		Py_RETURN_NONE;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		PyObject *d = PyDict_New();
		const char *key;
		json_t *item;
		json_object_foreach ((json_t *)v, key, item) {
			PyObject *pv = d ? mxpy_from_json(item) : NULL;
			if (pv == NULL || PyDict_SetItemString(d, key, pv) != 0) {
				Py_XDECREF(pv);
				Py_XDECREF(d);
				return NULL;
			}
			Py_DECREF(pv);
		}
		return d;
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(v);
		PyObject *l = PyList_New((Py_ssize_t)n);
		for (size_t i = 0; l != NULL && i < n; i++) {
			PyObject *pv = mxpy_from_json(json_array_get(v, i));
			if (pv == NULL) {
				Py_DECREF(l);
				return NULL;
			}
			PyList_SET_ITEM(l, (Py_ssize_t)i, pv);
		}
		return l;
	}
	case JSON_STRING:
		return PyUnicode_DecodeUTF8(json_string_value(v), (Py_ssize_t)json_string_length(v),
		                            "strict");
	case JSON_INTEGER: return PyLong_FromLongLong(json_integer_value(v));
	case JSON_REAL: return PyFloat_FromDouble(json_real_value(v));
	case JSON_TRUE: Py_RETURN_TRUE;
	case JSON_FALSE: Py_RETURN_FALSE;
	case JSON_NULL: Py_RETURN_NONE;
	}
	Py_RETURN_NONE;
}

/* A formatted string as MXCP's TypeConverter makes it: the validator has
 * already written it the way isoformat() prints (types.h), so Python's
 * fromisoformat reads it back exactly. */
static PyObject *formatted_py(const json_t *v, enum mx_format f)
{
	PyObject *cls = f == MX_FMT_DATE   ? (PyObject *)PyDateTimeAPI->DateType
	                : f == MX_FMT_TIME ? (PyObject *)PyDateTimeAPI->TimeType
	                                   : (PyObject *)PyDateTimeAPI->DateTimeType;
	PyObject *s = mxpy_from_json(v);
	if (s == NULL)
		return NULL;
	PyObject *r = PyObject_CallMethod(cls, "fromisoformat", "O", s);
	Py_DECREF(s);
	return r;
}

static PyObject *arg_py(const json_t *v, const struct mx_type *t, int depth)
{
	if (t == NULL || v == NULL || json_is_null(v) || depth > MXPY_DEPTH_MAX)
		return mxpy_from_json(v);
	switch (t->kind) {
	case MX_T_STRING:
		if (json_is_string(v) && (t->format == MX_FMT_DATE || t->format == MX_FMT_TIME ||
		                          t->format == MX_FMT_DATE_TIME || t->format == MX_FMT_TIMESTAMP))
			return formatted_py(v, t->format);
		return mxpy_from_json(v);
	case MX_T_ARRAY: {
		if (!json_is_array(v) || t->items == NULL)
			return mxpy_from_json(v);
		size_t n = json_array_size(v);
		PyObject *l = PyList_New((Py_ssize_t)n);
		for (size_t i = 0; l != NULL && i < n; i++) {
			PyObject *pv = arg_py(json_array_get(v, i), t->items, depth + 1);
			if (pv == NULL) {
				Py_DECREF(l);
				return NULL;
			}
			PyList_SET_ITEM(l, (Py_ssize_t)i, pv);
		}
		return l;
	}
	case MX_T_OBJECT: {
		if (!json_is_object(v) || t->nproperties == 0)
			return mxpy_from_json(v);
		PyObject *d = PyDict_New();
		const char *key;
		json_t *item;
		json_object_foreach ((json_t *)v, key, item) {
			PyObject *pv = d ? arg_py(item, mx_type_property(t, key), depth + 1) : NULL;
			if (pv == NULL || PyDict_SetItemString(d, key, pv) != 0) {
				Py_XDECREF(pv);
				Py_XDECREF(d);
				return NULL;
			}
			Py_DECREF(pv);
		}
		return d;
	}
	default: return mxpy_from_json(v);
	}
}

PyObject *mxpy_args(const json_t *args, struct mx_type *const *params, size_t nparams)
{
	PyObject *kw = PyDict_New();
	if (kw == NULL || args == NULL || !json_is_object(args))
		return kw;
	const char *key;
	json_t *v;
	json_object_foreach ((json_t *)args, key, v) {
		const struct mx_type *t = NULL;
		for (size_t i = 0; i < nparams && t == NULL; i++) {
			if (params[i] != NULL && params[i]->name != NULL && strcmp(params[i]->name, key) == 0)
				t = params[i];
		}
		PyObject *pv = arg_py(v, t, 0);
		if (pv == NULL || PyDict_SetItemString(kw, key, pv) != 0) {
			Py_XDECREF(pv);
			Py_DECREF(kw);
			return NULL;
		}
		Py_DECREF(pv);
	}
	return kw;
}

/* ------------------------------------------------------------------------ */
/* Python → JSON                                                             */
/* ------------------------------------------------------------------------ */

struct tojson {
	struct mx_err *err;
	int rc;
};

static json_t *to_json(struct tojson *tj, PyObject *o, int depth);

/* The name of o's type, module-qualified ("pandas.core.frame.DataFrame"). */
static void type_name(PyObject *o, char *buf, size_t sz)
{
	PyTypeObject *t = Py_TYPE(o);
	PyObject *mod = PyObject_GetAttrString((PyObject *)t, "__module__");
	const char *m = mod && PyUnicode_Check(mod) ? PyUnicode_AsUTF8(mod) : NULL;
	if (m == NULL || strcmp(m, "builtins") == 0 || strchr(t->tp_name, '.') != NULL)
		snprintf(buf, sz, "%s", t->tp_name);
	else
		snprintf(buf, sz, "%s.%s", m, t->tp_name);
	Py_XDECREF(mod);
	PyErr_Clear();
}

/* The Python error now set, as err's message (and cleared). */
static json_t *py_fail(struct tojson *tj, const char *what)
{
	PyObject *type, *value, *tb;
	PyErr_Fetch(&type, &value, &tb);
	PyObject *s = value ? PyObject_Str(value) : NULL;
	const char *msg = s ? PyUnicode_AsUTF8(s) : NULL;
	tj->rc = mx_err_set(tj->err, MX_EINVAL, "%s: %s", what, msg ? msg : "Python error");
	Py_XDECREF(s);
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(tb);
	PyErr_Clear();
	return NULL;
}

/* Call o.name(*args) and convert its result. */
static json_t *via_method(struct tojson *tj, PyObject *o, const char *name, PyObject *arg, int depth)
{
	PyObject *r = arg ? PyObject_CallMethod(o, name, "O", arg) : PyObject_CallMethod(o, name, NULL);
	if (r == NULL) {
		char what[256];
		type_name(o, what, sizeof what);
		char msg[300];
		snprintf(msg, sizeof msg, "Cannot serialize %s", what);
		return py_fail(tj, msg);
	}
	json_t *j = to_json(tj, r, depth + 1);
	Py_DECREF(r);
	return j;
}

/* pydantic's ISO 8601 duration: [-]P[nY][nD][T[nH][nM][n[.f]S]], years of
 * 365 days, PT0S for zero. */
static json_t *timedelta_json(PyObject *o)
{
	mx_i128 us = (mx_i128)PyDateTime_DELTA_GET_DAYS(o) * US_PER_DAY +
	             (mx_i128)PyDateTime_DELTA_GET_SECONDS(o) * US_PER_SEC +
	             PyDateTime_DELTA_GET_MICROSECONDS(o);
	int neg = us < 0;
	if (neg)
		us = -us;
	int64_t days = (int64_t)(us / US_PER_DAY);
	int64_t rest = (int64_t)(us % US_PER_DAY);
	char buf[96];
	size_t n = 0;
	n += (size_t)snprintf(buf + n, sizeof buf - n, "%sP", neg ? "-" : "");
	if (days / 365)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%" PRId64 "Y", days / 365);
	if (days % 365)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%" PRId64 "D", days % 365);
	if (rest || days == 0) {
		int64_t secs = rest / US_PER_SEC, frac = rest % US_PER_SEC;
		n += (size_t)snprintf(buf + n, sizeof buf - n, "T");
		if (secs / 3600)
			n += (size_t)snprintf(buf + n, sizeof buf - n, "%" PRId64 "H", secs / 3600);
		if (secs / 60 % 60)
			n += (size_t)snprintf(buf + n, sizeof buf - n, "%" PRId64 "M", secs / 60 % 60);
		if (secs % 60 || frac || rest == 0) {
			n += (size_t)snprintf(buf + n, sizeof buf - n, "%" PRId64, secs % 60);
			if (frac) {
				char fb[8];
				snprintf(fb, sizeof fb, "%06" PRId64, frac);
				size_t fl = 6;
				while (fl > 0 && fb[fl - 1] == '0')
					fl--;
				fb[fl] = '\0';
				n += (size_t)snprintf(buf + n, sizeof buf - n, ".%s", fb);
			}
			n += (size_t)snprintf(buf + n, sizeof buf - n, "S");
		}
	}
	return json_string(buf);
}

/* A Decimal as a number: an integer when it is one and fits, else the
 * nearest double; NaN and infinities null. */
static json_t *decimal_json(struct tojson *tj, PyObject *o)
{
	PyObject *fin = PyObject_CallMethod(o, "is_finite", NULL);
	if (fin == NULL)
		return py_fail(tj, "Cannot serialize Decimal");
	int finite = PyObject_IsTrue(fin);
	Py_DECREF(fin);
	if (!finite)
		return json_null();
	PyObject *integral = PyObject_CallMethod(o, "to_integral_value", NULL);
	int eq = integral ? PyObject_RichCompareBool(integral, o, Py_EQ) : -1;
	if (eq == 1) {
		PyObject *i = PyNumber_Long(integral);
		int overflow = 0;
		long long v = i ? PyLong_AsLongLongAndOverflow(i, &overflow) : 0;
		Py_XDECREF(i);
		if (i != NULL && !overflow && !PyErr_Occurred()) {
			Py_DECREF(integral);
			return json_integer(v);
		}
	}
	Py_XDECREF(integral);
	PyErr_Clear();
	double d = PyFloat_AsDouble(o);
	if (d == -1.0 && PyErr_Occurred())
		return py_fail(tj, "Cannot serialize Decimal");
	return isfinite(d) ? json_real(d) : json_null();
}

static json_t *seq_json(struct tojson *tj, PyObject *o, int depth)
{
	PyObject *seq = PySequence_Fast(o, "not a sequence");
	if (seq == NULL)
		return py_fail(tj, "Cannot serialize sequence");
	json_t *arr = json_array();
	Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
	for (Py_ssize_t i = 0; arr != NULL && i < n; i++) {
		json_t *j = to_json(tj, PySequence_Fast_GET_ITEM(seq, i), depth + 1);
		if (j == NULL || json_array_append_new(arr, j) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	Py_DECREF(seq);
	return arr;
}

/* A dict key as text: str as is, bool/None as JSON spells them, others by
 * str() (pydantic does the same). */
static json_t *dict_json(struct tojson *tj, PyObject *o, int depth)
{
	json_t *obj = json_object();
	PyObject *k, *v;
	Py_ssize_t pos = 0;
	while (obj != NULL && PyDict_Next(o, &pos, &k, &v)) {
		PyObject *ks = NULL;
		const char *key;
		if (PyUnicode_Check(k))
			key = PyUnicode_AsUTF8(k);
		else if (k == Py_None)
			key = "null";
		else if (PyBool_Check(k))
			key = k == Py_True ? "true" : "false";
		else
			key = (ks = PyObject_Str(k)) ? PyUnicode_AsUTF8(ks) : NULL;
		if (key == NULL) {
			Py_XDECREF(ks);
			json_decref(obj);
			return py_fail(tj, "Cannot serialize a dict key");
		}
		Py_INCREF(v); /* a __str__ or a method may run Python code */
		json_t *j = to_json(tj, v, depth + 1);
		Py_DECREF(v);
		if (j == NULL || json_object_set_new(obj, key, j) != 0) {
			json_decref(obj);
			obj = NULL;
			if (j == NULL && tj->rc == 0)
				tj->rc = mx_err_set(tj->err, MX_ENOMEM, "out of memory");
		}
		Py_XDECREF(ks);
	}
	return obj;
}

/* pandas and numpy, recognised by their type's module (neither is imported
 * unless a value comes from it); NULL with tj->rc 0 when o is neither. */
static json_t *pandas_numpy_json(struct tojson *tj, PyObject *o, int depth, int *handled)
{
	*handled = 0;
	PyTypeObject *t = Py_TYPE(o);
	PyObject *mod = PyObject_GetAttrString((PyObject *)t, "__module__");
	const char *m = mod && PyUnicode_Check(mod) ? PyUnicode_AsUTF8(mod) : NULL;
	PyErr_Clear();
	int is_pandas = m && strncmp(m, "pandas", 6) == 0;
	int is_numpy = (m && strncmp(m, "numpy", 5) == 0) || strncmp(t->tp_name, "numpy.", 6) == 0;
	Py_XDECREF(mod);
	if (!is_pandas && !is_numpy)
		return NULL;
	const char *name = strrchr(t->tp_name, '.') ? strrchr(t->tp_name, '.') + 1 : t->tp_name;
	*handled = 1;
	if (is_pandas && (strcmp(name, "NaTType") == 0 || strcmp(name, "NAType") == 0))
		return json_null();
	if (is_pandas && (strcmp(name, "DataFrame") == 0 || strcmp(name, "Series") == 0)) {
		/* MXCP: value.astype(object).where(value.notna(), None), then
		 * to_dict("records") or tolist(). */
		int frame = name[0] == 'D';
		PyObject *obj = PyObject_CallMethod(o, "astype", "O", (PyObject *)&PyBaseObject_Type);
		PyObject *mask = obj ? PyObject_CallMethod(o, "notna", NULL) : NULL;
		PyObject *clean = mask ? PyObject_CallMethod(obj, "where", "OO", mask, Py_None) : NULL;
		Py_XDECREF(obj);
		Py_XDECREF(mask);
		if (clean == NULL)
			return py_fail(tj, frame ? "Cannot serialize DataFrame" : "Cannot serialize Series");
		PyObject *rec = frame ? PyUnicode_FromString("records") : NULL;
		json_t *j = via_method(tj, clean, frame ? "to_dict" : "tolist", rec, depth);
		Py_XDECREF(rec);
		Py_DECREF(clean);
		return j;
	}
	if (is_pandas && PyObject_HasAttrString(o, "isoformat"))
		return via_method(tj, o, "isoformat", NULL, depth);
	if (is_numpy && PyObject_HasAttrString(o, "tolist"))
		return via_method(tj, o,
		                  PyObject_HasAttrString(o, "item") && !PyObject_HasAttrString(o, "shape")
		                          ? "item"
		                          : "tolist",
		                  NULL, depth);
	if (PyObject_HasAttrString(o, "tolist"))
		return via_method(tj, o, "tolist", NULL, depth);
	*handled = 0;
	return NULL;
}

static json_t *object_json(struct tojson *tj, PyObject *o, int depth)
{
	int handled;
	json_t *j = pandas_numpy_json(tj, o, depth, &handled);
	if (handled || tj->rc)
		return j;
	if (PyObject_IsInstance(o, enum_type) == 1) {
		PyObject *v = PyObject_GetAttrString(o, "value");
		j = v ? to_json(tj, v, depth + 1) : py_fail(tj, "Cannot serialize Enum");
		Py_XDECREF(v);
		return j;
	}
	PyErr_Clear();
	if (PyObject_HasAttrString((PyObject *)Py_TYPE(o), "__mxcp_json__")) {
		/* mxcp.content: an MCP content block, as its reserved marker */
		PyObject *r = PyObject_CallMethod(o, "__mxcp_json__", NULL);
		if (r == NULL)
			return py_fail(tj, "Cannot serialize MCP content");
		j = to_json(tj, r, depth + 1);
		Py_DECREF(r);
		return j;
	}
	if (PyObject_HasAttrString(o, "model_dump")) {
		/* pydantic v2, as its JSON serialiser writes it (by alias). */
		PyObject *meth = PyObject_GetAttrString(o, "model_dump");
		PyObject *args = PyTuple_New(0);
		PyObject *kw = Py_BuildValue("{s:s,s:O}", "mode", "json", "by_alias", Py_True);
		PyObject *r = meth && args && kw ? PyObject_Call(meth, args, kw) : NULL;
		if (r == NULL && PyErr_ExceptionMatches(PyExc_TypeError)) {
			PyErr_Clear();
			r = meth ? PyObject_CallNoArgs(meth) : NULL;
		}
		Py_XDECREF(meth);
		Py_XDECREF(args);
		Py_XDECREF(kw);
		if (r == NULL)
			return py_fail(tj, "Cannot serialize model");
		j = to_json(tj, r, depth + 1);
		Py_DECREF(r);
		return j;
	}
	if (PyObject_HasAttrString(o, "__dataclass_fields__") && !PyType_Check(o)) {
		PyObject *r = PyObject_CallOneArg(dataclasses_asdict, o);
		if (r == NULL)
			return py_fail(tj, "Cannot serialize dataclass");
		j = to_json(tj, r, depth + 1);
		Py_DECREF(r);
		return j;
	}
	PyObject *dict_meth = PyObject_GetAttrString(o, "dict");
	PyErr_Clear();
	if (dict_meth != NULL && PyCallable_Check(dict_meth)) {
		/* pydantic v1 */
		PyObject *r = PyObject_CallNoArgs(dict_meth);
		Py_DECREF(dict_meth);
		if (r == NULL)
			return py_fail(tj, "Cannot serialize model");
		j = to_json(tj, r, depth + 1);
		Py_DECREF(r);
		return j;
	}
	Py_XDECREF(dict_meth);
	if (PyObject_HasAttrString(o, "isoformat"))
		return via_method(tj, o, "isoformat", NULL, depth);
	char what[256];
	type_name(o, what, sizeof what);
	tj->rc = mx_err_set(tj->err, MX_EINVAL, "Cannot serialize a value of Python type '%s' as JSON", what);
	return NULL;
}

static json_t *to_json(struct tojson *tj, PyObject *o, int depth)
{
	if (depth > MXPY_DEPTH_MAX) {
		tj->rc = mx_err_set(tj->err, MX_ELIMIT, "Result nests deeper than %d levels", MXPY_DEPTH_MAX);
		return NULL;
	}
	if (o == Py_None)
		return json_null();
	if (PyBool_Check(o))
		return json_boolean(o == Py_True);
	if (PyLong_Check(o)) {
		int overflow = 0;
		long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
		if (!overflow)
			return json_integer(v);
		/* Past 64 bits: the exact digits, as text. */
		PyObject *s = PyLong_Type.tp_repr(o);
		json_t *j = s ? json_string(PyUnicode_AsUTF8(s)) : NULL;
		Py_XDECREF(s);
		return j ? j : py_fail(tj, "Cannot serialize int");
	}
	if (PyFloat_Check(o)) {
		double d = PyFloat_AS_DOUBLE(o);
		return isfinite(d) ? json_real(d) : json_null();
	}
	if (PyUnicode_Check(o)) {
		Py_ssize_t n;
		const char *p = PyUnicode_AsUTF8AndSize(o, &n);
		if (p == NULL)
			return py_fail(tj, "Cannot serialize str");
		return json_stringn(p, (size_t)n);
	}
	if (PyDict_Check(o))
		return dict_json(tj, o, depth);
	if (PyList_Check(o) || PyTuple_Check(o) || PyAnySet_Check(o))
		return seq_json(tj, o, depth);
	if (PyDate_Check(o) || PyTime_Check(o)) {
		/* pandas' NaT is a datetime too: MXCP makes it None. */
		if (Py_TYPE(o) != PyDateTimeAPI->DateTimeType && Py_TYPE(o) != PyDateTimeAPI->DateType &&
		    strstr(Py_TYPE(o)->tp_name, "NaTType") != NULL)
			return json_null();
		return via_method(tj, o, "isoformat", NULL, depth);
	}
	if (PyDelta_Check(o))
		return timedelta_json(o);
	if (PyBytes_Check(o))
		return mx_base64_json(PyBytes_AS_STRING(o), (size_t)PyBytes_GET_SIZE(o));
	if (PyByteArray_Check(o))
		return mx_base64_json(PyByteArray_AS_STRING(o), (size_t)PyByteArray_GET_SIZE(o));
	if (PyObject_IsInstance(o, decimal_type) == 1)
		return decimal_json(tj, o);
	if (PyObject_IsInstance(o, uuid_type) == 1) {
		PyObject *s = PyObject_Str(o);
		json_t *j = s ? json_string(PyUnicode_AsUTF8(s)) : NULL;
		Py_XDECREF(s);
		return j ? j : py_fail(tj, "Cannot serialize UUID");
	}
	PyErr_Clear();
	return object_json(tj, o, depth);
}

int mxpy_to_json(PyObject *o, json_t **out, struct mx_err *err)
{
	struct tojson tj = {.err = err};
	*out = to_json(&tj, o, 0);
	if (*out != NULL)
		return 0;
	if (tj.rc == 0 && PyErr_Occurred())
		py_fail(&tj, "Cannot serialize result");
	if (tj.rc == 0)
		tj.rc = mx_err_set(err, MX_ENOMEM, "out of memory");
	return tj.rc;
}

/* ------------------------------------------------------------------------ */
/* DuckDB → Python                                                           */
/* ------------------------------------------------------------------------ */

/* How to read one column (or nested child) of a DuckDB vector. */
struct pyconv {
	duckdb_type id;
	duckdb_type internal; /* DECIMAL storage / ENUM index type */
	unsigned scale; /* DECIMAL */
	uint8_t width; /* DECIMAL */
	idx_t array_size; /* ARRAY */
	size_t nchildren; /* LIST/ARRAY 1, STRUCT n, MAP 2, UNION n */
	struct pyconv *children;
	PyObject **names; /* STRUCT field names */
	PyObject **labels; /* ENUM dictionary */
	size_t nlabels;
};

static void pyconv_free(struct pyconv *cv)
{
	for (size_t i = 0; i < cv->nchildren; i++) {
		if (cv->children)
			pyconv_free(&cv->children[i]);
		if (cv->names)
			Py_XDECREF(cv->names[i]);
	}
	for (size_t i = 0; i < cv->nlabels; i++)
		Py_XDECREF(cv->labels[i]);
	mx_free(cv->children);
	mx_free(cv->names);
	mx_free(cv->labels);
	memset(cv, 0, sizeof *cv);
}

/* Build cv for lt: 0, or -1 with a Python error (free cv either way). */
static int pyconv_build(struct pyconv *cv, duckdb_logical_type lt)
{
	memset(cv, 0, sizeof *cv);
	cv->id = duckdb_get_type_id(lt);
	switch (cv->id) {
	case DUCKDB_TYPE_DECIMAL:
		cv->internal = duckdb_decimal_internal_type(lt);
		cv->scale = duckdb_decimal_scale(lt);
		cv->width = duckdb_decimal_width(lt);
		return 0;
	case DUCKDB_TYPE_ENUM: {
		cv->internal = duckdb_enum_internal_type(lt);
		uint32_t n = duckdb_enum_dictionary_size(lt);
		if ((cv->labels = mx_calloc(n ? n : 1, sizeof *cv->labels)) == NULL)
			goto nomem;
		cv->nlabels = n;
		for (uint32_t i = 0; i < n; i++) {
			char *s = duckdb_enum_dictionary_value(lt, i);
			cv->labels[i] = PyUnicode_FromString(s ? s : "");
			duckdb_free(s);
			if (cv->labels[i] == NULL)
				return -1;
		}
		return 0;
	}
	case DUCKDB_TYPE_LIST:
	case DUCKDB_TYPE_ARRAY: {
		duckdb_logical_type child = cv->id == DUCKDB_TYPE_LIST ? duckdb_list_type_child_type(lt)
		                                                       : duckdb_array_type_child_type(lt);
		if (cv->id == DUCKDB_TYPE_ARRAY)
			cv->array_size = duckdb_array_type_array_size(lt);
		if ((cv->children = mx_calloc(1, sizeof *cv->children)) == NULL) {
			duckdb_destroy_logical_type(&child);
			goto nomem;
		}
		cv->nchildren = 1;
		int rc = pyconv_build(&cv->children[0], child);
		duckdb_destroy_logical_type(&child);
		return rc;
	}
	case DUCKDB_TYPE_MAP:
	case DUCKDB_TYPE_STRUCT:
	case DUCKDB_TYPE_UNION: {
		idx_t n = cv->id == DUCKDB_TYPE_MAP      ? 2
		          : cv->id == DUCKDB_TYPE_STRUCT ? duckdb_struct_type_child_count(lt)
		                                         : duckdb_union_type_member_count(lt);
		cv->children = mx_calloc(n ? n : 1, sizeof *cv->children);
		cv->names = mx_calloc(n ? n : 1, sizeof *cv->names);
		if (cv->children == NULL || cv->names == NULL)
			goto nomem;
		cv->nchildren = n;
		for (idx_t i = 0; i < n; i++) {
			duckdb_logical_type child;
			if (cv->id == DUCKDB_TYPE_MAP) {
				child = i == 0 ? duckdb_map_type_key_type(lt)
				               : duckdb_map_type_value_type(lt);
			} else if (cv->id == DUCKDB_TYPE_STRUCT) {
				child = duckdb_struct_type_child_type(lt, i);
				char *name = duckdb_struct_type_child_name(lt, i);
				cv->names[i] = PyUnicode_FromString(name ? name : "");
				duckdb_free(name);
				if (cv->names[i] == NULL) {
					duckdb_destroy_logical_type(&child);
					return -1;
				}
			} else {
				child = duckdb_union_type_member_type(lt, i);
			}
			int rc = pyconv_build(&cv->children[i], child);
			duckdb_destroy_logical_type(&child);
			if (rc != 0)
				return rc;
		}
		return 0;
	}
	default: return 0;
	}
nomem:
	PyErr_NoMemory();
	return -1;
}

static PyObject *value_py(const struct pyconv *cv, duckdb_vector vec, idx_t row, size_t *bytes);

static PyObject *nested_py(const struct pyconv *cv, duckdb_vector vec, idx_t row, size_t *bytes)
{
	switch (cv->id) {
	case DUCKDB_TYPE_LIST:
	case DUCKDB_TYPE_ARRAY: {
		idx_t off, len;
		duckdb_vector child;
		if (cv->id == DUCKDB_TYPE_LIST) {
			duckdb_list_entry e = ((duckdb_list_entry *)duckdb_vector_get_data(vec))[row];
			off = e.offset;
			len = e.length;
			child = duckdb_list_vector_get_child(vec);
		} else {
			off = row * cv->array_size;
			len = cv->array_size;
			child = duckdb_array_vector_get_child(vec);
		}
		PyObject *l = PyList_New((Py_ssize_t)len);
		for (idx_t i = 0; l != NULL && i < len; i++) {
			PyObject *v = value_py(&cv->children[0], child, off + i, bytes);
			if (v == NULL) {
				Py_DECREF(l);
				return NULL;
			}
			PyList_SET_ITEM(l, (Py_ssize_t)i, v);
		}
		return l;
	}
	case DUCKDB_TYPE_STRUCT: {
		PyObject *d = PyDict_New();
		for (size_t i = 0; d != NULL && i < cv->nchildren; i++) {
			duckdb_vector child = duckdb_struct_vector_get_child(vec, i);
			PyObject *v = value_py(&cv->children[i], child, row, bytes);
			if (v == NULL || PyDict_SetItem(d, cv->names[i], v) != 0) {
				Py_XDECREF(v);
				Py_DECREF(d);
				return NULL;
			}
			Py_DECREF(v);
		}
		return d;
	}
	case DUCKDB_TYPE_MAP: {
		duckdb_list_entry e = ((duckdb_list_entry *)duckdb_vector_get_data(vec))[row];
		duckdb_vector entries = duckdb_list_vector_get_child(vec);
		duckdb_vector keys = duckdb_struct_vector_get_child(entries, 0);
		duckdb_vector vals = duckdb_struct_vector_get_child(entries, 1);
		PyObject *d = PyDict_New();
		for (idx_t i = 0; d != NULL && i < e.length; i++) {
			PyObject *k = value_py(&cv->children[0], keys, e.offset + i, bytes);
			PyObject *v = k ? value_py(&cv->children[1], vals, e.offset + i, bytes) : NULL;
			if (v == NULL || PyDict_SetItem(d, k, v) != 0) {
				Py_XDECREF(k);
				Py_XDECREF(v);
				Py_DECREF(d);
				return NULL;
			}
			Py_DECREF(k);
			Py_DECREF(v);
		}
		return d;
	}
	case DUCKDB_TYPE_UNION: {
		duckdb_vector tags = duckdb_struct_vector_get_child(vec, 0);
		uint8_t tag = ((uint8_t *)duckdb_vector_get_data(tags))[row];
		if (tag >= cv->nchildren)
			return PyErr_Format(PyExc_RuntimeError, "bad UNION tag %u", (unsigned)tag);
		duckdb_vector member = duckdb_struct_vector_get_child(vec, (idx_t)tag + 1);
		return value_py(&cv->children[tag], member, row, bytes);
	}
	default: return PyErr_Format(PyExc_RuntimeError, "unexpected nested DuckDB type %d", (int)cv->id);
	}
}

/* BIT as its '0'/'1' text (byte 0 counts the padding bits of byte 1). */
static PyObject *bit_py(const unsigned char *p, size_t n)
{
	if (n == 0)
		return PyUnicode_FromStringAndSize("", 0);
	size_t pad = p[0], total = (n - 1) * 8;
	size_t nbits = total - (pad < total ? pad : total);
	PyObject *s = PyUnicode_New((Py_ssize_t)nbits, 127);
	if (s == NULL)
		return NULL;
	char *out = (char *)PyUnicode_DATA(s);
	for (size_t i = 0; i < nbits; i++) {
		size_t b = i + pad;
		out[i] = (p[1 + b / 8] >> (7 - b % 8)) & 1 ? '1' : '0';
	}
	return s;
}

/* BIGNUM: a 3-byte header (top bit set when non-negative), then the
 * magnitude big-endian, every byte inverted when negative. */
static PyObject *bignum_py(const unsigned char *p, size_t n)
{
	if (n < 4)
		return PyLong_FromLong(0);
	int neg = (p[0] & 0x80) == 0;
	size_t nb = n - 3;
	char *hex = mx_malloc(nb * 2 + 2);
	if (hex == NULL)
		return PyErr_NoMemory();
	size_t o = 0;
	if (neg)
		hex[o++] = '-';
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < nb; i++) {
		unsigned char b = neg ? (unsigned char)~p[3 + i] : p[3 + i];
		hex[o++] = digits[b >> 4];
		hex[o++] = digits[b & 15];
	}
	hex[o] = '\0';
	PyObject *v = PyLong_FromString(hex, NULL, 16);
	mx_free(hex);
	return v;
}

static PyObject *string_py(const struct pyconv *cv, duckdb_string_t *s, size_t *bytes)
{
	uint32_t len = duckdb_string_t_length(*s);
	const char *p = duckdb_string_t_data(s);
	*bytes += len;
	switch (cv->id) {
	case DUCKDB_TYPE_BLOB: return PyBytes_FromStringAndSize(p, len);
	case DUCKDB_TYPE_BIT: return bit_py((const unsigned char *)p, len);
	case DUCKDB_TYPE_BIGNUM: return bignum_py((const unsigned char *)p, len);
	default: return PyUnicode_DecodeUTF8(p, len, "replace");
	}
}

static PyObject *uuid_py(duckdb_hugeint h)
{
	/* DuckDB stores a UUID with the top bit flipped (signed order). */
	mx_u128 v = ((mx_u128)((uint64_t)h.upper ^ (UINT64_C(1) << 63)) << 64) | h.lower;
	PyObject *i = uint128_py(v);
	if (i == NULL)
		return NULL;
	PyObject *args = PyTuple_New(0);
	PyObject *kw = Py_BuildValue("{s:O}", "int", i);
	PyObject *u = args && kw ? PyObject_Call(uuid_type, args, kw) : NULL;
	Py_XDECREF(args);
	Py_XDECREF(kw);
	Py_DECREF(i);
	return u;
}

/* INTERVAL as timedelta, a month as 30 days (as DuckDB's pandas path). */
static PyObject *interval_py(duckdb_interval iv)
{
	int64_t days = (int64_t)iv.months * 30 + iv.days + floor_div(iv.micros, US_PER_DAY);
	int64_t rest = iv.micros - floor_div(iv.micros, US_PER_DAY) * US_PER_DAY;
	if (days > 999999999 || days < -999999999)
		return PyErr_Format(PyExc_OverflowError,
		                    "INTERVAL of %" PRId64 " days is out of range for timedelta", days);
	return PyDelta_FromDSU((int)days, (int)(rest / US_PER_SEC), (int)(rest % US_PER_SEC));
}

static PyObject *time_tz_py(duckdb_time_tz v)
{
	duckdb_time_tz_struct s = duckdb_from_time_tz(v);
	PyObject *delta = PyDelta_FromDSU(0, s.offset, 0);
	PyObject *tz = delta ? PyTimeZone_FromOffset(delta) : NULL;
	Py_XDECREF(delta);
	if (tz == NULL)
		return NULL;
	int64_t us =
	        ((int64_t)s.time.hour * 3600 + s.time.min * 60 + s.time.sec) * US_PER_SEC + s.time.micros;
	PyObject *t = time_py(us, tz);
	Py_DECREF(tz);
	return t;
}

static PyObject *value_py(const struct pyconv *cv, duckdb_vector vec, idx_t row, size_t *bytes)
{
	*bytes += 8;
	uint64_t *validity = duckdb_vector_get_validity(vec);
	if (!duckdb_validity_row_is_valid(validity, row) || cv->id == DUCKDB_TYPE_SQLNULL)
		Py_RETURN_NONE;
	void *data = duckdb_vector_get_data(vec);
	switch (cv->id) {
	case DUCKDB_TYPE_BOOLEAN: return PyBool_FromLong(((bool *)data)[row]);
	case DUCKDB_TYPE_TINYINT: return PyLong_FromLong(((int8_t *)data)[row]);
	case DUCKDB_TYPE_SMALLINT: return PyLong_FromLong(((int16_t *)data)[row]);
	case DUCKDB_TYPE_INTEGER: return PyLong_FromLong(((int32_t *)data)[row]);
	case DUCKDB_TYPE_BIGINT: return PyLong_FromLongLong(((int64_t *)data)[row]);
	case DUCKDB_TYPE_UTINYINT: return PyLong_FromLong(((uint8_t *)data)[row]);
	case DUCKDB_TYPE_USMALLINT: return PyLong_FromLong(((uint16_t *)data)[row]);
	case DUCKDB_TYPE_UINTEGER: return PyLong_FromUnsignedLong(((uint32_t *)data)[row]);
	case DUCKDB_TYPE_UBIGINT: return PyLong_FromUnsignedLongLong(((uint64_t *)data)[row]);
	case DUCKDB_TYPE_HUGEINT: {
		duckdb_hugeint h = ((duckdb_hugeint *)data)[row];
		return int128_py((mx_i128)(((mx_u128)(uint64_t)h.upper << 64) | h.lower));
	}
	case DUCKDB_TYPE_UHUGEINT: {
		duckdb_uhugeint u = ((duckdb_uhugeint *)data)[row];
		return uint128_py(((mx_u128)u.upper << 64) | u.lower);
	}
	case DUCKDB_TYPE_FLOAT: return PyFloat_FromDouble(((float *)data)[row]);
	case DUCKDB_TYPE_DOUBLE: return PyFloat_FromDouble(((double *)data)[row]);
	case DUCKDB_TYPE_DECIMAL: {
		mx_i128 v;
		switch (cv->internal) {
		case DUCKDB_TYPE_SMALLINT: v = ((int16_t *)data)[row]; break;
		case DUCKDB_TYPE_INTEGER: v = ((int32_t *)data)[row]; break;
		case DUCKDB_TYPE_BIGINT: v = ((int64_t *)data)[row]; break;
		case DUCKDB_TYPE_HUGEINT: {
			duckdb_hugeint h = ((duckdb_hugeint *)data)[row];
			v = (mx_i128)(((mx_u128)(uint64_t)h.upper << 64) | h.lower);
			break;
		}
		default: return PyErr_Format(PyExc_RuntimeError, "unsupported DECIMAL storage");
		}
		return PyFloat_FromDouble(mx_sql_decimal_double(v, cv->scale));
	}
	case DUCKDB_TYPE_VARCHAR:
	case DUCKDB_TYPE_BLOB:
	case DUCKDB_TYPE_BIT:
	case DUCKDB_TYPE_BIGNUM: return string_py(cv, &((duckdb_string_t *)data)[row], bytes);
	case DUCKDB_TYPE_DATE: {
		duckdb_date d = ((duckdb_date *)data)[row];
		if (!duckdb_is_finite_date(d))
			Py_RETURN_NONE;
		return datetime_from_days(d.days, 0, Py_None);
	}
	case DUCKDB_TYPE_TIME: return time_py(((duckdb_time *)data)[row].micros, Py_None);
	case DUCKDB_TYPE_TIME_NS: return time_py(((duckdb_time_ns *)data)[row].nanos / 1000, Py_None);
	case DUCKDB_TYPE_TIME_TZ: return time_tz_py(((duckdb_time_tz *)data)[row]);
	case DUCKDB_TYPE_TIMESTAMP: return timestamp_py(((duckdb_timestamp *)data)[row].micros, 0);
	case DUCKDB_TYPE_TIMESTAMP_TZ: return timestamp_py(((duckdb_timestamp *)data)[row].micros, 1);
	case DUCKDB_TYPE_TIMESTAMP_S: {
		int64_t s = ((duckdb_timestamp_s *)data)[row].seconds;
		if (s == INT64_MAX || s == -INT64_MAX)
			Py_RETURN_NONE;
		return timestamp_py(s * US_PER_SEC, 0);
	}
	case DUCKDB_TYPE_TIMESTAMP_MS: {
		int64_t ms = ((duckdb_timestamp_ms *)data)[row].millis;
		if (ms == INT64_MAX || ms == -INT64_MAX)
			Py_RETURN_NONE;
		return timestamp_py(ms * 1000, 0);
	}
	case DUCKDB_TYPE_TIMESTAMP_NS: {
		int64_t ns = ((duckdb_timestamp_ns *)data)[row].nanos;
		if (ns == INT64_MAX || ns == -INT64_MAX)
			Py_RETURN_NONE;
		return timestamp_py(floor_div(ns, 1000), 0);
	}
	case DUCKDB_TYPE_INTERVAL: return interval_py(((duckdb_interval *)data)[row]);
	case DUCKDB_TYPE_UUID: return uuid_py(((duckdb_hugeint *)data)[row]);
	case DUCKDB_TYPE_ENUM: {
		uint64_t idx;
		switch (cv->internal) {
		case DUCKDB_TYPE_UTINYINT: idx = ((uint8_t *)data)[row]; break;
		case DUCKDB_TYPE_USMALLINT: idx = ((uint16_t *)data)[row]; break;
		case DUCKDB_TYPE_UINTEGER: idx = ((uint32_t *)data)[row]; break;
		default: return PyErr_Format(PyExc_RuntimeError, "unsupported ENUM storage");
		}
		if (idx >= cv->nlabels)
			return PyErr_Format(PyExc_RuntimeError, "ENUM index out of range");
		*bytes += (size_t)PyUnicode_GET_LENGTH(cv->labels[idx]);
		Py_INCREF(cv->labels[idx]);
		return cv->labels[idx];
	}
	case DUCKDB_TYPE_LIST:
	case DUCKDB_TYPE_ARRAY:
	case DUCKDB_TYPE_STRUCT:
	case DUCKDB_TYPE_MAP:
	case DUCKDB_TYPE_UNION: return nested_py(cv, vec, row, bytes);
	default:
		return PyErr_Format(PyExc_RuntimeError,
		                    "DuckDB type %d is not supported; cast it in SQL (e.g. ::VARCHAR)",
		                    (int)cv->id);
	}
}

PyObject *mxpy_from_duckdb(duckdb_vector vec, duckdb_logical_type type, idx_t row)
{
	struct pyconv cv;
	size_t bytes = 0;
	PyObject *v = pyconv_build(&cv, type) == 0 ? value_py(&cv, vec, row, &bytes) : NULL;
	pyconv_free(&cv);
	return v;
}

/* ------------------------------------------------------------------------ */
/* Python → DuckDB vector (UDF results)                                      */
/* ------------------------------------------------------------------------ */

static void set_null(duckdb_vector vec, const struct pyconv *cv, idx_t row)
{
	duckdb_vector_ensure_validity_writable(vec);
	duckdb_validity_set_row_invalid(duckdb_vector_get_validity(vec), row);
	if (cv->id == DUCKDB_TYPE_STRUCT) {
		for (size_t i = 0; i < cv->nchildren; i++)
			set_null(duckdb_struct_vector_get_child(vec, i), &cv->children[i], row);
	}
}

/* A datetime's micros since the epoch (aware: in UTC). */
static int datetime_micros(PyObject *o, int64_t *out)
{
	int64_t days =
	        mx_days_from_civil(PyDateTime_GET_YEAR(o), PyDateTime_GET_MONTH(o), PyDateTime_GET_DAY(o));
	int64_t us = days * US_PER_DAY;
	if (PyDateTime_Check(o)) {
		us += ((int64_t)PyDateTime_DATE_GET_HOUR(o) * 3600 + PyDateTime_DATE_GET_MINUTE(o) * 60 +
		       PyDateTime_DATE_GET_SECOND(o)) *
		              US_PER_SEC +
		      PyDateTime_DATE_GET_MICROSECOND(o);
		PyObject *off = PyObject_CallMethod(o, "utcoffset", NULL);
		if (off == NULL)
			return -1;
		if (off != Py_None && PyDelta_Check(off))
			us -= ((int64_t)PyDateTime_DELTA_GET_DAYS(off) * 86400 +
			       PyDateTime_DELTA_GET_SECONDS(off)) *
			              US_PER_SEC +
			      PyDateTime_DELTA_GET_MICROSECONDS(off);
		Py_DECREF(off);
	}
	*out = us;
	return 0;
}

static int64_t time_micros(PyObject *o)
{
	return ((int64_t)PyDateTime_TIME_GET_HOUR(o) * 3600 + PyDateTime_TIME_GET_MINUTE(o) * 60 +
	        PyDateTime_TIME_GET_SECOND(o)) *
	               US_PER_SEC +
	       PyDateTime_TIME_GET_MICROSECOND(o);
}

static int64_t delta_micros(PyObject *o)
{
	return ((int64_t)PyDateTime_DELTA_GET_DAYS(o) * 86400 + PyDateTime_DELTA_GET_SECONDS(o)) *
	               US_PER_SEC +
	       PyDateTime_DELTA_GET_MICROSECONDS(o);
}

static int type_error(PyObject *o, const char *want)
{
	PyErr_Format(PyExc_TypeError, "expected %s, got %s", want, Py_TYPE(o)->tp_name);
	return -1;
}

/* A number as Decimal(...).scaleb(scale), rounded half-even to an int. */
static int scaled_decimal(PyObject *o, unsigned scale, mx_i128 *out)
{
	PyObject *d;
	if (PyFloat_Check(o)) {
		PyObject *r = PyObject_Repr(o);
		d = r ? PyObject_CallOneArg(decimal_type, r) : NULL;
		Py_XDECREF(r);
	} else {
		d = PyObject_CallOneArg(decimal_type, o);
	}
	PyObject *s = d ? PyObject_CallMethod(d, "scaleb", "i", (int)scale) : NULL;
	PyObject *i = s ? PyObject_CallMethod(s, "__round__", NULL) : NULL;
	Py_XDECREF(d);
	Py_XDECREF(s);
	if (i == NULL)
		return -1;
	int rc = py_int128(i, out);
	Py_DECREF(i);
	return rc;
}

static int write_py(PyObject *o, duckdb_vector vec, const struct pyconv *cv, idx_t row, int depth);

static int write_int(PyObject *o, void *data, duckdb_type id, idx_t row)
{
	mx_i128 v;
	if (PyFloat_Check(o) || py_int128(o, &v) != 0)
		return PyFloat_Check(o) ? type_error(o, "int") : -1;
	mx_i128 lo, hi;
	switch (id) {
	case DUCKDB_TYPE_TINYINT: lo = INT8_MIN, hi = INT8_MAX; break;
	case DUCKDB_TYPE_SMALLINT: lo = INT16_MIN, hi = INT16_MAX; break;
	case DUCKDB_TYPE_INTEGER: lo = INT32_MIN, hi = INT32_MAX; break;
	case DUCKDB_TYPE_BIGINT: lo = INT64_MIN, hi = INT64_MAX; break;
	case DUCKDB_TYPE_UTINYINT: lo = 0, hi = UINT8_MAX; break;
	case DUCKDB_TYPE_USMALLINT: lo = 0, hi = UINT16_MAX; break;
	case DUCKDB_TYPE_UINTEGER: lo = 0, hi = UINT32_MAX; break;
	case DUCKDB_TYPE_UBIGINT: lo = 0, hi = UINT64_MAX; break;
	default: /* HUGEINT, and UHUGEINT below 2^127 */
		hi = (mx_i128)(((mx_u128)1 << 127) - 1);
		lo = id == DUCKDB_TYPE_UHUGEINT ? 0 : -hi - 1;
		break;
	}
	if (v < lo || v > hi) {
		PyErr_Format(PyExc_OverflowError, "int out of range for DuckDB type %d", (int)id);
		return -1;
	}
	switch (id) {
	case DUCKDB_TYPE_TINYINT: ((int8_t *)data)[row] = (int8_t)v; break;
	case DUCKDB_TYPE_SMALLINT: ((int16_t *)data)[row] = (int16_t)v; break;
	case DUCKDB_TYPE_INTEGER: ((int32_t *)data)[row] = (int32_t)v; break;
	case DUCKDB_TYPE_BIGINT: ((int64_t *)data)[row] = (int64_t)v; break;
	case DUCKDB_TYPE_UTINYINT: ((uint8_t *)data)[row] = (uint8_t)v; break;
	case DUCKDB_TYPE_USMALLINT: ((uint16_t *)data)[row] = (uint16_t)v; break;
	case DUCKDB_TYPE_UINTEGER: ((uint32_t *)data)[row] = (uint32_t)v; break;
	case DUCKDB_TYPE_UBIGINT: ((uint64_t *)data)[row] = (uint64_t)v; break;
	case DUCKDB_TYPE_UHUGEINT:
		((duckdb_uhugeint *)data)[row] = (duckdb_uhugeint){(uint64_t)v, (uint64_t)((mx_u128)v >> 64)};
		break;
	default: ((duckdb_hugeint *)data)[row] = (duckdb_hugeint){(uint64_t)v, (int64_t)(v >> 64)}; break;
	}
	return 0;
}

static int write_nested(PyObject *o, duckdb_vector vec, const struct pyconv *cv, idx_t row, int depth)
{
	if (cv->id == DUCKDB_TYPE_STRUCT) {
		int is_dict = PyDict_Check(o);
		for (size_t i = 0; i < cv->nchildren; i++) {
			PyObject *v = is_dict ? PyDict_GetItemWithError(o, cv->names[i])
			                      : PyObject_GetAttr(o, cv->names[i]);
			if (v == NULL && PyErr_Occurred())
				return -1;
			if (is_dict)
				Py_XINCREF(v);
			int rc = write_py(v ? v : Py_None, duckdb_struct_vector_get_child(vec, i),
			                  &cv->children[i], row, depth + 1);
			Py_XDECREF(v);
			if (rc != 0)
				return rc;
		}
		return 0;
	}
	/* LIST and MAP: the items appended to the child vector. */
	int is_map = cv->id == DUCKDB_TYPE_MAP;
	PyObject *seq;
	if (is_map) {
		if (!PyDict_Check(o))
			return type_error(o, "dict");
		PyObject *items = PyDict_Items(o);
		seq = items ? PySequence_Fast(items, "items") : NULL;
		Py_XDECREF(items);
	} else {
		if (PyUnicode_Check(o) || PyBytes_Check(o) || PyDict_Check(o))
			return type_error(o, "list");
		seq = PySequence_Fast(o, "expected a list");
	}
	if (seq == NULL)
		return -1;
	idx_t n = (idx_t)PySequence_Fast_GET_SIZE(seq);
	idx_t off = duckdb_list_vector_get_size(vec);
	if (duckdb_list_vector_reserve(vec, off + n) != DuckDBSuccess ||
	    duckdb_list_vector_set_size(vec, off + n) != DuckDBSuccess) {
		Py_DECREF(seq);
		PyErr_NoMemory();
		return -1;
	}
	duckdb_vector child = duckdb_list_vector_get_child(vec);
	int rc = 0;
	for (idx_t i = 0; i < n && rc == 0; i++) {
		PyObject *item = PySequence_Fast_GET_ITEM(seq, (Py_ssize_t)i);
		if (!is_map) {
			rc = write_py(item, child, &cv->children[0], off + i, depth + 1);
			continue;
		}
		rc = write_py(PyTuple_GET_ITEM(item, 0), duckdb_struct_vector_get_child(child, 0),
		              &cv->children[0], off + i, depth + 1);
		if (rc == 0)
			rc = write_py(PyTuple_GET_ITEM(item, 1), duckdb_struct_vector_get_child(child, 1),
			              &cv->children[1], off + i, depth + 1);
	}
	Py_DECREF(seq);
	if (rc == 0)
		((duckdb_list_entry *)duckdb_vector_get_data(vec))[row] = (duckdb_list_entry){off, n};
	return rc;
}

static int write_py(PyObject *o, duckdb_vector vec, const struct pyconv *cv, idx_t row, int depth)
{
	if (depth > MXPY_DEPTH_MAX) {
		PyErr_SetString(PyExc_RecursionError, "value nests too deeply");
		return -1;
	}
	if (o == Py_None) {
		set_null(vec, cv, row);
		return 0;
	}
	uint64_t *validity = duckdb_vector_get_validity(vec);
	if (validity)
		duckdb_validity_set_row_valid(validity, row);
	void *data = duckdb_vector_get_data(vec);
	switch (cv->id) {
	case DUCKDB_TYPE_BOOLEAN: {
		int b = PyObject_IsTrue(o);
		if (b < 0)
			return -1;
		((bool *)data)[row] = b;
		return 0;
	}
	case DUCKDB_TYPE_TINYINT:
	case DUCKDB_TYPE_SMALLINT:
	case DUCKDB_TYPE_INTEGER:
	case DUCKDB_TYPE_BIGINT:
	case DUCKDB_TYPE_UTINYINT:
	case DUCKDB_TYPE_USMALLINT:
	case DUCKDB_TYPE_UINTEGER:
	case DUCKDB_TYPE_UBIGINT:
	case DUCKDB_TYPE_HUGEINT:
	case DUCKDB_TYPE_UHUGEINT: return write_int(o, data, cv->id, row);
	case DUCKDB_TYPE_FLOAT:
	case DUCKDB_TYPE_DOUBLE: {
		double d = PyFloat_AsDouble(o);
		if (d == -1.0 && PyErr_Occurred())
			return -1;
		if (cv->id == DUCKDB_TYPE_FLOAT)
			((float *)data)[row] = (float)d;
		else
			((double *)data)[row] = d;
		return 0;
	}
	case DUCKDB_TYPE_DECIMAL: {
		mx_i128 v;
		if (scaled_decimal(o, cv->scale, &v) != 0)
			return -1;
		mx_i128 limit = 1;
		for (unsigned i = 0; i < cv->width; i++)
			limit *= 10;
		if (v >= limit || v <= -limit) {
			PyErr_Format(PyExc_OverflowError, "value does not fit DECIMAL(%u,%u)",
			             (unsigned)cv->width, cv->scale);
			return -1;
		}
		switch (cv->internal) {
		case DUCKDB_TYPE_SMALLINT: ((int16_t *)data)[row] = (int16_t)v; break;
		case DUCKDB_TYPE_INTEGER: ((int32_t *)data)[row] = (int32_t)v; break;
		case DUCKDB_TYPE_BIGINT: ((int64_t *)data)[row] = (int64_t)v; break;
		default:
			((duckdb_hugeint *)data)[row] = (duckdb_hugeint){(uint64_t)v, (int64_t)(v >> 64)};
			break;
		}
		return 0;
	}
	case DUCKDB_TYPE_VARCHAR: {
		PyObject *s = PyUnicode_Check(o) ? Py_NewRef(o) : PyObject_Str(o);
		Py_ssize_t n;
		const char *p = s ? PyUnicode_AsUTF8AndSize(s, &n) : NULL;
		if (p != NULL)
			duckdb_vector_assign_string_element_len(vec, row, p, (idx_t)n);
		Py_XDECREF(s);
		return p ? 0 : -1;
	}
	case DUCKDB_TYPE_BLOB: {
		if (PyUnicode_Check(o)) {
			Py_ssize_t n;
			const char *p = PyUnicode_AsUTF8AndSize(o, &n);
			if (p == NULL)
				return -1;
			duckdb_vector_assign_string_element_len(vec, row, p, (idx_t)n);
			return 0;
		}
		Py_buffer view;
		if (PyObject_GetBuffer(o, &view, PyBUF_SIMPLE) != 0)
			return -1;
		duckdb_vector_assign_string_element_len(vec, row, view.buf, (idx_t)view.len);
		PyBuffer_Release(&view);
		return 0;
	}
	case DUCKDB_TYPE_DATE:
		if (!PyDate_Check(o))
			return type_error(o, "datetime.date");
		((duckdb_date *)data)[row].days = (int32_t)mx_days_from_civil(
		        PyDateTime_GET_YEAR(o), PyDateTime_GET_MONTH(o), PyDateTime_GET_DAY(o));
		return 0;
	case DUCKDB_TYPE_TIME:
		if (!PyTime_Check(o))
			return type_error(o, "datetime.time");
		((duckdb_time *)data)[row].micros = time_micros(o);
		return 0;
	case DUCKDB_TYPE_TIMESTAMP:
	case DUCKDB_TYPE_TIMESTAMP_TZ:
	case DUCKDB_TYPE_TIMESTAMP_S:
	case DUCKDB_TYPE_TIMESTAMP_MS:
	case DUCKDB_TYPE_TIMESTAMP_NS: {
		int64_t us;
		if (!PyDate_Check(o))
			return type_error(o, "datetime.datetime");
		if (datetime_micros(o, &us) != 0)
			return -1;
		int64_t v = cv->id == DUCKDB_TYPE_TIMESTAMP_S    ? floor_div(us, US_PER_SEC)
		            : cv->id == DUCKDB_TYPE_TIMESTAMP_MS ? floor_div(us, 1000)
		            : cv->id == DUCKDB_TYPE_TIMESTAMP_NS ? us * 1000
		                                                 : us;
		((int64_t *)data)[row] = v;
		return 0;
	}
	case DUCKDB_TYPE_INTERVAL: {
		if (!PyDelta_Check(o))
			return type_error(o, "datetime.timedelta");
		int64_t us =
		        PyDateTime_DELTA_GET_SECONDS(o) * US_PER_SEC + PyDateTime_DELTA_GET_MICROSECONDS(o);
		((duckdb_interval *)data)[row] = (duckdb_interval){0, PyDateTime_DELTA_GET_DAYS(o), us};
		return 0;
	}
	case DUCKDB_TYPE_UUID: {
		PyObject *u = PyUnicode_Check(o) ? PyObject_CallOneArg(uuid_type, o) : Py_NewRef(o);
		PyObject *i = u ? PyObject_GetAttrString(u, "int") : NULL;
		Py_XDECREF(u);
		mx_i128 v;
		int rc = i ? py_int128(i, &v) : -1;
		if (i == NULL || rc != 0) {
			/* 2^127 and above: read the halves. */
			PyErr_Clear();
			if (i == NULL)
				return type_error(o, "uuid.UUID");
			PyObject *shift = PyLong_FromLong(64);
			PyObject *hi = shift ? PyNumber_Rshift(i, shift) : NULL;
			uint64_t h = hi ? PyLong_AsUnsignedLongLong(hi) : 0;
			uint64_t l = PyLong_AsUnsignedLongLongMask(i);
			Py_XDECREF(shift);
			Py_XDECREF(hi);
			Py_DECREF(i);
			if (PyErr_Occurred())
				return -1;
			v = (mx_i128)(((mx_u128)h << 64) | l);
		} else {
			Py_DECREF(i);
		}
		mx_u128 bits = (mx_u128)v;
		((duckdb_hugeint *)data)[row] = (duckdb_hugeint){
		        (uint64_t)bits, (int64_t)((uint64_t)(bits >> 64) ^ (UINT64_C(1) << 63))};
		return 0;
	}
	case DUCKDB_TYPE_ENUM: {
		for (size_t i = 0; i < cv->nlabels; i++) {
			int eq = PyObject_RichCompareBool(cv->labels[i], o, Py_EQ);
			if (eq < 0)
				return -1;
			if (!eq)
				continue;
			switch (cv->internal) {
			case DUCKDB_TYPE_UTINYINT: ((uint8_t *)data)[row] = (uint8_t)i; break;
			case DUCKDB_TYPE_USMALLINT: ((uint16_t *)data)[row] = (uint16_t)i; break;
			default: ((uint32_t *)data)[row] = (uint32_t)i; break;
			}
			return 0;
		}
		PyErr_Format(PyExc_ValueError, "%R is not a value of the ENUM", o);
		return -1;
	}
	case DUCKDB_TYPE_LIST:
	case DUCKDB_TYPE_MAP:
	case DUCKDB_TYPE_STRUCT: return write_nested(o, vec, cv, row, depth);
	default:
		PyErr_Format(PyExc_TypeError, "cannot return a value as DuckDB type %d", (int)cv->id);
		return -1;
	}
}

int mxpy_to_duckdb(PyObject *o, duckdb_vector vec, duckdb_logical_type type, idx_t row)
{
	struct pyconv cv;
	int rc = pyconv_build(&cv, type) == 0 ? write_py(o, vec, &cv, row, 0) : -1;
	pyconv_free(&cv);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Python → DuckDB values (db.execute parameters)                            */
/* ------------------------------------------------------------------------ */

static duckdb_value param_value(PyObject *o, int depth);

static duckdb_value decimal_value(PyObject *o)
{
	/* DECIMAL(width, scale) when it fits 38 digits, else DOUBLE. */
	PyObject *t = PyObject_CallMethod(o, "as_tuple", NULL);
	PyObject *digits = t ? PyTuple_GetItem(t, 1) : NULL;
	PyObject *exp = t ? PyTuple_GetItem(t, 2) : NULL;
	if (digits == NULL || exp == NULL) {
		Py_XDECREF(t);
		return NULL;
	}
	Py_ssize_t nd = PyTuple_Size(digits);
	long e = PyLong_Check(exp) ? PyLong_AsLong(exp) : 1000; /* 'n'/'N'/'F': not finite */
	Py_DECREF(t);
	if (e <= 0 && e >= -38 && nd <= 38 && -e <= 38) {
		mx_i128 v;
		if (scaled_decimal(o, (unsigned)-e, &v) == 0) {
			unsigned scale = (unsigned)-e;
			unsigned width = (unsigned)nd > scale ? (unsigned)nd : scale + 1;
			if (width > 38)
				width = 38;
			duckdb_decimal d = {(uint8_t)width, (uint8_t)scale,
			                    (duckdb_hugeint){(uint64_t)v, (int64_t)(v >> 64)}};
			return duckdb_create_decimal(d);
		}
		PyErr_Clear();
	}
	double d = PyFloat_AsDouble(o);
	if (d == -1.0 && PyErr_Occurred())
		return NULL;
	return duckdb_create_double(d);
}

/* A list's values share one type: that of the first non-NULL item (ints
 * become DOUBLE beside a float); a list of NULLs is a list of SQLNULL. */
static duckdb_value list_value(PyObject *o, int depth)
{
	PyObject *seq = PySequence_Fast(o, "expected a sequence");
	if (seq == NULL)
		return NULL;
	Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
	int any_float = 0, all_num = 1;
	for (Py_ssize_t i = 0; i < n; i++) {
		PyObject *it = PySequence_Fast_GET_ITEM(seq, i);
		any_float |= PyFloat_Check(it);
		all_num &= it == Py_None || PyFloat_Check(it) || (PyLong_Check(it) && !PyBool_Check(it));
	}
	duckdb_value *items = mx_calloc(n ? (size_t)n : 1, sizeof *items);
	duckdb_value out = NULL;
	duckdb_logical_type et = NULL;
	int ok = items != NULL;
	if (!ok)
		PyErr_NoMemory();
	for (Py_ssize_t i = 0; ok && i < n; i++) {
		PyObject *it = PySequence_Fast_GET_ITEM(seq, i);
		if (it == Py_None)
			continue;
		if (any_float && all_num) {
			double d = PyFloat_AsDouble(it);
			ok = !(d == -1.0 && PyErr_Occurred());
			items[i] = ok ? duckdb_create_double(d) : NULL;
		} else {
			ok = (items[i] = param_value(it, depth + 1)) != NULL;
		}
		if (ok && et == NULL) {
			et = duckdb_get_value_type(items[i]);
		} else if (ok) {
			duckdb_logical_type t = duckdb_get_value_type(items[i]);
			if (duckdb_get_type_id(t) != duckdb_get_type_id(et)) {
				PyErr_Format(PyExc_TypeError, "a list parameter mixes %s with other types",
				             Py_TYPE(it)->tp_name);
				ok = 0;
			}
		}
	}
	duckdb_logical_type null_type = NULL;
	if (ok && et == NULL)
		et = null_type = duckdb_create_logical_type(DUCKDB_TYPE_SQLNULL);
	for (Py_ssize_t i = 0; ok && i < n; i++) {
		if (items[i] == NULL)
			items[i] = duckdb_create_null_value();
	}
	if (ok && (out = duckdb_create_list_value(et, items, (idx_t)n)) == NULL)
		PyErr_SetString(PyExc_TypeError, "cannot bind the list parameter");
	for (Py_ssize_t i = 0; items && i < n; i++) {
		if (items[i])
			duckdb_destroy_value(&items[i]);
	}
	if (null_type)
		duckdb_destroy_logical_type(&null_type);
	mx_free(items);
	Py_DECREF(seq);
	return out;
}

/* A dict as a STRUCT of its str keys ({} as an empty MAP, as mx_sql_query
 * binds it). */
static duckdb_value struct_value(PyObject *o, int depth)
{
	Py_ssize_t n = PyDict_Size(o);
	if (n == 0) {
		duckdb_logical_type k = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
		duckdb_logical_type m = duckdb_create_map_type(k, k);
		duckdb_value none[1] = {NULL};
		duckdb_value v = duckdb_create_map_value(m, none, none, 0);
		duckdb_destroy_logical_type(&k);
		duckdb_destroy_logical_type(&m);
		return v;
	}
	duckdb_value *vals = mx_calloc((size_t)n, sizeof *vals);
	duckdb_logical_type *types = mx_calloc((size_t)n, sizeof *types);
	const char **names = mx_calloc((size_t)n, sizeof *names);
	duckdb_value out = NULL;
	int ok = vals && types && names;
	if (!ok)
		PyErr_NoMemory();
	PyObject *k, *v;
	Py_ssize_t pos = 0, i = 0;
	while (ok && PyDict_Next(o, &pos, &k, &v) && i < n) {
		if (!PyUnicode_Check(k)) {
			PyErr_SetString(PyExc_TypeError, "a dict parameter needs str keys");
			ok = 0;
			break;
		}
		names[i] = PyUnicode_AsUTF8(k);
		vals[i] = v == Py_None ? duckdb_create_null_value() : param_value(v, depth + 1);
		ok = names[i] != NULL && vals[i] != NULL;
		if (ok)
			types[i] = duckdb_get_value_type(vals[i]);
		i++;
	}
	duckdb_logical_type st = NULL;
	if (ok && (st = duckdb_create_struct_type(types, names, (idx_t)n)) != NULL)
		out = duckdb_create_struct_value(st, vals);
	if (ok && out == NULL)
		PyErr_SetString(PyExc_TypeError, "cannot bind the dict parameter");
	if (st)
		duckdb_destroy_logical_type(&st);
	for (Py_ssize_t j = 0; vals && j < n; j++) {
		if (vals[j])
			duckdb_destroy_value(&vals[j]);
	}
	mx_free(vals);
	mx_free(types);
	mx_free(names);
	return out;
}

/* A Python value as the DuckDB value DuckDB's Python client would bind. */
static duckdb_value param_value(PyObject *o, int depth)
{
	if (depth > MXPY_DEPTH_MAX) {
		PyErr_SetString(PyExc_RecursionError, "parameter nests too deeply");
		return NULL;
	}
	if (o == Py_None)
		return duckdb_create_null_value();
	if (PyBool_Check(o))
		return duckdb_create_bool(o == Py_True);
	if (PyLong_Check(o)) {
		mx_i128 v;
		if (py_int128(o, &v) != 0)
			return NULL;
		if (v >= INT64_MIN && v <= INT64_MAX)
			return duckdb_create_int64((int64_t)v);
		return duckdb_create_hugeint((duckdb_hugeint){(uint64_t)v, (int64_t)(v >> 64)});
	}
	if (PyFloat_Check(o))
		return duckdb_create_double(PyFloat_AS_DOUBLE(o));
	if (PyUnicode_Check(o)) {
		Py_ssize_t n;
		const char *p = PyUnicode_AsUTF8AndSize(o, &n);
		return p ? duckdb_create_varchar_length(p, (idx_t)n) : NULL;
	}
	if (PyBytes_Check(o) || PyByteArray_Check(o) || PyMemoryView_Check(o)) {
		Py_buffer view;
		if (PyObject_GetBuffer(o, &view, PyBUF_SIMPLE) != 0)
			return NULL;
		duckdb_value v = duckdb_create_blob(view.buf, (idx_t)view.len);
		PyBuffer_Release(&view);
		return v;
	}
	if (PyDateTime_Check(o)) {
		int64_t us;
		PyObject *tz = PyDateTime_DATE_GET_TZINFO(o);
		if (datetime_micros(o, &us) != 0)
			return NULL;
		return tz != Py_None ? duckdb_create_timestamp_tz((duckdb_timestamp){us})
		                     : duckdb_create_timestamp((duckdb_timestamp){us});
	}
	if (PyDate_Check(o))
		return duckdb_create_date((duckdb_date){(int32_t)mx_days_from_civil(
		        PyDateTime_GET_YEAR(o), PyDateTime_GET_MONTH(o), PyDateTime_GET_DAY(o))});
	if (PyTime_Check(o)) {
		PyObject *off = PyObject_CallMethod(o, "utcoffset", NULL);
		if (off == NULL)
			return NULL;
		duckdb_value v;
		if (PyDelta_Check(off))
			v = duckdb_create_time_tz_value(duckdb_create_time_tz(
			        time_micros(o), (int32_t)(delta_micros(off) / US_PER_SEC)));
		else
			v = duckdb_create_time((duckdb_time){time_micros(o)});
		Py_DECREF(off);
		return v;
	}
	if (PyDelta_Check(o))
		return duckdb_create_interval((duckdb_interval){
		        0, PyDateTime_DELTA_GET_DAYS(o),
		        PyDateTime_DELTA_GET_SECONDS(o) * US_PER_SEC + PyDateTime_DELTA_GET_MICROSECONDS(o)});
	if (PyList_Check(o) || PyTuple_Check(o))
		return list_value(o, depth);
	if (PyDict_Check(o))
		return struct_value(o, depth);
	if (PyObject_IsInstance(o, decimal_type) == 1)
		return decimal_value(o);
	if (PyObject_IsInstance(o, uuid_type) == 1) {
		PyObject *i = PyObject_GetAttrString(o, "int");
		PyObject *shift = PyLong_FromLong(64);
		PyObject *hi = i && shift ? PyNumber_Rshift(i, shift) : NULL;
		uint64_t h = hi ? PyLong_AsUnsignedLongLong(hi) : 0;
		uint64_t l = i ? PyLong_AsUnsignedLongLongMask(i) : 0;
		Py_XDECREF(i);
		Py_XDECREF(shift);
		Py_XDECREF(hi);
		if (PyErr_Occurred())
			return NULL;
		return duckdb_create_uuid((duckdb_uhugeint){l, h});
	}
	PyErr_Clear();
	/* numpy scalars: their Python value. */
	if (strncmp(Py_TYPE(o)->tp_name, "numpy.", 6) == 0 && PyObject_HasAttrString(o, "item")) {
		PyObject *item = PyObject_CallMethod(o, "item", NULL);
		duckdb_value v = item ? param_value(item, depth + 1) : NULL;
		Py_XDECREF(item);
		return v;
	}
	PyErr_Format(PyExc_TypeError, "cannot bind a value of type %s as a SQL parameter",
	             Py_TYPE(o)->tp_name);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* db.execute                                                                */
/* ------------------------------------------------------------------------ */

struct exec_ctx {
	PyThreadState *ts; /* while DuckDB runs, the GIL is released from it */
	PyObject *rows; /* list of dicts */
	PyObject **keys; /* column names */
	struct pyconv *convs;
	idx_t ncols;
	int built;
};

static int exec_columns(struct exec_ctx *x, duckdb_result *res)
{
	x->ncols = duckdb_column_count(res);
	x->keys = mx_calloc(x->ncols ? x->ncols : 1, sizeof *x->keys);
	x->convs = mx_calloc(x->ncols ? x->ncols : 1, sizeof *x->convs);
	if (x->keys == NULL || x->convs == NULL) {
		PyErr_NoMemory();
		return -1;
	}
	x->built = 1;
	for (idx_t i = 0; i < x->ncols; i++) {
		const char *name = duckdb_column_name(res, i);
		if ((x->keys[i] = PyUnicode_FromString(name ? name : "")) == NULL)
			return -1;
		duckdb_logical_type lt = duckdb_column_logical_type(res, i);
		int rc = pyconv_build(&x->convs[i], lt);
		duckdb_destroy_logical_type(&lt);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* The chunk as row dicts, with the GIL taken back for the chunk. */
static int exec_chunk(void *ctx, duckdb_result *res, duckdb_data_chunk chunk, size_t *bytes,
                      struct mx_err *err)
{
	struct exec_ctx *x = ctx;
	PyEval_RestoreThread(x->ts);
	int rc = 0;
	if (!x->built && exec_columns(x, res) != 0)
		rc = -1;
	idx_t n = duckdb_data_chunk_get_size(chunk);
	duckdb_vector *vecs = rc == 0 ? mx_calloc(x->ncols ? x->ncols : 1, sizeof *vecs) : NULL;
	if (rc == 0 && vecs == NULL) {
		PyErr_NoMemory();
		rc = -1;
	}
	for (idx_t i = 0; rc == 0 && i < x->ncols; i++)
		vecs[i] = duckdb_data_chunk_get_vector(chunk, i);
	for (idx_t r = 0; rc == 0 && r < n; r++) {
		PyObject *row = PyDict_New();
		for (idx_t i = 0; row != NULL && i < x->ncols; i++) {
			PyObject *v = value_py(&x->convs[i], vecs[i], r, bytes);
			if (v == NULL || PyDict_SetItem(row, x->keys[i], v) != 0)
				Py_CLEAR(row);
			Py_XDECREF(v);
		}
		if (row == NULL || PyList_Append(x->rows, row) != 0)
			rc = -1;
		Py_XDECREF(row);
	}
	mx_free(vecs);
	x->ts = PyEval_SaveThread();
	return rc == 0 ? 0 : mx_err_set(err, MX_EINTERNAL, "Python conversion failed");
}

static void free_params(struct mx_sql_value_param *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		mx_free((char *)p[i].name);
		if (p[i].value)
			duckdb_destroy_value(&p[i].value);
	}
	mx_free(p);
}

/* params (a dict name → value, or a list/tuple for `?`/`$1`) as DuckDB
 * values; NULL with a Python error. *n is their count. */
static struct mx_sql_value_param *build_params(PyObject *params, size_t *n)
{
	*n = 0;
	int is_dict = PyDict_Check(params);
	if (!is_dict && !PyList_Check(params) && !PyTuple_Check(params)) {
		PyErr_Format(PyExc_TypeError, "params must be a dict (or None), not %s",
		             Py_TYPE(params)->tp_name);
		return NULL;
	}
	Py_ssize_t count = is_dict ? PyDict_Size(params) : PySequence_Size(params);
	struct mx_sql_value_param *p = mx_calloc(count ? (size_t)count : 1, sizeof *p);
	if (p == NULL) {
		PyErr_NoMemory();
		return NULL;
	}
	PyObject *k, *v;
	Py_ssize_t pos = 0;
	for (Py_ssize_t i = 0; i < count; i++) {
		char num[32];
		const char *name;
		if (is_dict) {
			if (!PyDict_Next(params, &pos, &k, &v))
				break;
			if (!PyUnicode_Check(k)) {
				PyErr_Format(PyExc_TypeError, "parameter names must be str, not %s",
				             Py_TYPE(k)->tp_name);
				free_params(p, *n);
				return NULL;
			}
			name = PyUnicode_AsUTF8(k);
		} else {
			v = PySequence_Fast_GET_ITEM(params, i);
			snprintf(num, sizeof num, "%zd", i + 1);
			name = num;
		}
		if (name == NULL || (p[i].name = mx_strdup(name)) == NULL) {
			if (name != NULL)
				PyErr_NoMemory();
			free_params(p, *n);
			return NULL;
		}
		*n = (size_t)i + 1;
		if (v != Py_None && (p[i].value = param_value(v, 0)) == NULL) {
			PyObject *type, *value, *tb;
			PyErr_Fetch(&type, &value, &tb);
			PyErr_Format(PyExc_RuntimeError, "Cannot bind parameter '%s': %S", name,
			             value ? value : Py_None);
			Py_XDECREF(type);
			Py_XDECREF(value);
			Py_XDECREF(tb);
			free_params(p, *n);
			return NULL;
		}
	}
	return p;
}

PyObject *mxpy_db_execute(struct mx_dbconn *conn, const char *sql, PyObject *params)
{
	if (conn == NULL) {
		PyErr_SetString(PyExc_RuntimeError, "Database connection not initialized");
		return NULL;
	}
	size_t n = 0;
	struct mx_sql_value_param *p = NULL;
	if (params != NULL && params != Py_None && (p = build_params(params, &n)) == NULL)
		return NULL;
	struct exec_ctx x = {.rows = PyList_New(0)};
	if (x.rows == NULL) {
		free_params(p, n);
		return NULL;
	}
	struct mx_err err = {0};
	/* DuckDB runs without the GIL; exec_chunk takes it back per chunk.
	 * Nothing here holds the GIL while it waits for a lock of mxcp's. */
	x.ts = PyEval_SaveThread();
	int rc = mx_sql_query_values(conn, sql, p, n, exec_chunk, &x, &err);
	PyEval_RestoreThread(x.ts);
	free_params(p, n);
	for (idx_t i = 0; x.built && i < x.ncols; i++) {
		Py_XDECREF(x.keys[i]);
		pyconv_free(&x.convs[i]);
	}
	mx_free(x.keys);
	mx_free(x.convs);
	if (rc != 0) {
		Py_DECREF(x.rows);
		if (!PyErr_Occurred())
			PyErr_SetString(PyExc_RuntimeError, err.msg[0] ? err.msg : "query failed");
		return NULL;
	}
	return x.rows;
}
