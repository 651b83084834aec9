/* SPDX-License-Identifier: Apache-2.0 */
/*
 * column — how a result column is read: its converter tree (struct conv),
 * built once per column from the column's DuckDB logical type (the DECIMAL
 * scale, the ENUM dictionary, the children of LIST, ARRAY, STRUCT, MAP and
 * UNION, whether a VARCHAR is JSON), and freed with the result.
 *
 * Runs on the thread that owns the connection, before result.c reads the
 * rows.
 */
#include "exec/sql/sql_int.h"

#include "core/alloc.h"

#include <string.h>

void mx_sql_conv_free(struct conv *cv)
{
	for (size_t i = 0; i < cv->nchildren; i++)
		mx_sql_conv_free(&cv->children[i]);
	mx_free(cv->children);
	if (cv->names) {
		for (size_t i = 0; i < cv->nchildren; i++) {
			if (cv->names[i])
				duckdb_free(cv->names[i]);
		}
		mx_free(cv->names);
	}
	if (cv->labels) {
		for (size_t i = 0; i < cv->nlabels; i++) {
			if (cv->labels[i])
				duckdb_free(cv->labels[i]);
		}
		mx_free(cv->labels);
	}
	memset(cv, 0, sizeof *cv);
}

static int conv_children(struct conv *cv, size_t n, int named)
{
	cv->children = mx_calloc(n ? n : 1, sizeof *cv->children);
	if (cv->children == NULL)
		return MX_ENOMEM;
	cv->nchildren = n;
	if (named && (cv->names = mx_calloc(n ? n : 1, sizeof *cv->names)) == NULL)
		return MX_ENOMEM;
	return 0;
}

static int conv_child(struct conv *cv, size_t i, duckdb_logical_type child)
{
	if (child == NULL)
		return MX_ENOMEM;
	int rc = mx_sql_conv_build(&cv->children[i], child);
	duckdb_destroy_logical_type(&child);
	return rc;
}

int mx_sql_conv_build(struct conv *cv, duckdb_logical_type lt)
{
	memset(cv, 0, sizeof *cv);
	cv->id = duckdb_get_type_id(lt);
	int rc = 0;
	switch (cv->id) {
	case DUCKDB_TYPE_VARCHAR: {
		char *alias = duckdb_logical_type_get_alias(lt);
		if (alias) {
			cv->is_json = strcmp(alias, "JSON") == 0;
			duckdb_free(alias);
		}
		break;
	}
	case DUCKDB_TYPE_DECIMAL:
		cv->internal = duckdb_decimal_internal_type(lt);
		cv->scale = duckdb_decimal_scale(lt);
		break;
	case DUCKDB_TYPE_ENUM:
		cv->internal = duckdb_enum_internal_type(lt);
		cv->nlabels = duckdb_enum_dictionary_size(lt);
		if ((cv->labels = mx_calloc(cv->nlabels ? cv->nlabels : 1, sizeof *cv->labels)) == NULL)
			return MX_ENOMEM;
		for (size_t i = 0; i < cv->nlabels; i++)
			cv->labels[i] = duckdb_enum_dictionary_value(lt, i);
		break;
	case DUCKDB_TYPE_LIST:
		if ((rc = conv_children(cv, 1, 0)) == 0)
			rc = conv_child(cv, 0, duckdb_list_type_child_type(lt));
		break;
	case DUCKDB_TYPE_ARRAY:
		cv->array_size = duckdb_array_type_array_size(lt);
		if ((rc = conv_children(cv, 1, 0)) == 0)
			rc = conv_child(cv, 0, duckdb_array_type_child_type(lt));
		break;
	case DUCKDB_TYPE_MAP:
		if ((rc = conv_children(cv, 2, 0)) == 0)
			rc = conv_child(cv, 0, duckdb_map_type_key_type(lt));
		if (rc == 0)
			rc = conv_child(cv, 1, duckdb_map_type_value_type(lt));
		break;
	case DUCKDB_TYPE_STRUCT: {
		size_t n = duckdb_struct_type_child_count(lt);
		if ((rc = conv_children(cv, n, 1)) != 0)
			break;
		for (size_t i = 0; i < n && rc == 0; i++) {
			cv->names[i] = duckdb_struct_type_child_name(lt, i);
			rc = conv_child(cv, i, duckdb_struct_type_child_type(lt, i));
		}
		break;
	}
	case DUCKDB_TYPE_UNION: {
		size_t n = duckdb_union_type_member_count(lt);
		if ((rc = conv_children(cv, n, 1)) != 0)
			break;
		for (size_t i = 0; i < n && rc == 0; i++) {
			cv->names[i] = duckdb_union_type_member_name(lt, i);
			rc = conv_child(cv, i, duckdb_union_type_member_type(lt, i));
		}
		break;
	}
	default: break;
	}
	return rc;
}
