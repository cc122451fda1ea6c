# A small checker of JSON values against the OpenAPI schemas of docs/openapi.json: object
# required properties and property types, arrays, integers, strings, booleans, enums,
# nullable (null must also be in the enum, if any, as OpenAPI 3.0 validators require), $ref. Prints one line per problem; no output means the value conforms.
# Usage: jq -r --slurpfile api docs/openapi.json --arg path P --arg method M --arg status S \
#            -f schema.jq body.json

def deref($root):
  if type == "object" and has("$ref")
  then $root.components.schemas[(.["$ref"] | split("/") | last)]
  else . end;

def errors($root; $schema; $at):
  ($schema | deref($root)) as $s
  | if . == null then
      # OpenAPI 3.0: with an enum, null must be listed too (a strict validator checks it).
      (if ($s.nullable // false) | not then "\($at) is null"
       elif $s.enum != null and ($s.enum | index([null]) | not)
       then "\($at) is null, which its enum \($s.enum) does not list"
       else empty end)
    elif $s.type == "object" then
      if type != "object" then "\($at) is not an object"
      else
        (. as $o | ($s.required // [])[] | . as $k | select($o | has($k) | not)
          | "\($at).\($k) is missing"),
        (. as $o | ($s.properties // {}) | to_entries[] | . as $p | select($o | has($p.key))
          | $o[$p.key] | errors($root; $p.value; "\($at).\($p.key)"))
      end
    elif $s.type == "array" then
      if type != "array" then "\($at) is not an array"
      else (to_entries[] | .key as $i | .value | errors($root; $s.items; "\($at)[\($i)]")) end
    elif $s.type == "integer" then
      (if type == "number" and . == floor then empty else "\($at) is not an integer" end)
    elif $s.type == "boolean" then
      (if type == "boolean" then empty else "\($at) is not a boolean" end)
    elif $s.type == "string" then
      (if type != "string" then "\($at) is not a string"
       else . as $v
         | if ($s.enum != null) and (($s.enum | map(. == $v) | any) | not)
           then "\($at) = \($v) is not one of \($s.enum)"
           elif $s.format == "date" and ($v | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}$") | not)
           then "\($at) = \($v) is not a date"
           elif $s.format == "date-time" and ($v | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$") | not)
           then "\($at) = \($v) is not an RFC 3339 UTC instant"
           else empty end
       end)
    else empty end;

$api[0] as $root
| ($root.paths[$path][$method].responses[$status]) as $response
| if $response == null then "status \($status) is not documented for \($method) \($path)"
  else errors($root; $response.content["application/json"].schema; "body") end
