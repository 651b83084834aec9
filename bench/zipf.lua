-- SPDX-License-Identifier: Apache-2.0
-- bench/zipf.lua — wrk script for bench/cache.sh: tools/call of the greet
-- tool with a Zipf-distributed name (ZIPF_N names, exponent ZIPF_S; rank 1 is
-- the most frequent), so a response cache sees a realistic skewed mix.
local N = tonumber(os.getenv("ZIPF_N") or "10000")
local S = tonumber(os.getenv("ZIPF_S") or "1.0")
local cdf = {}
local sum = 0
for i = 1, N do
	sum = sum + 1 / (i ^ S)
	cdf[i] = sum
end
for i = 1, N do
	cdf[i] = cdf[i] / sum
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"

function setup(thread)
	thread:set("seed", math.random(1, 2 ^ 30))
end

function init(args)
	math.randomseed(seed or os.time())
end

local function pick()
	local u = math.random()
	local lo, hi = 1, N
	while lo < hi do
		local mid = math.floor((lo + hi) / 2)
		if cdf[mid] < u then
			lo = mid + 1
		else
			hi = mid
		end
	end
	return lo
end

function request()
	local body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet","arguments":{"name":"user'
		.. pick() .. '"}}}'
	return wrk.format(nil, "/mcp", nil, body)
end
