// The proto3 JSON mapping of a decoded message, the output style every caller
// in this repository prints (Go's protojson, Python's json_format): field
// names in lowerCamelCase (or their json_name), enum names, RFC 3339 UTC
// timestamps and "1.5s" durations with 0, 3, 6 or 9 fractional digits,
// google.protobuf.Value/Struct/ListValue as plain JSON, 64-bit integers as
// strings, and fields at their default value left out. Pure functions.
'use strict';

// Fractional seconds as Go and Python print them: none, or 3, 6 or 9 digits.
function fraction(nanos) {
  if (nanos === 0) return '';
  const digits = String(nanos).padStart(9, '0');
  if (nanos % 1e6 === 0) return `.${digits.slice(0, 3)}`;
  if (nanos % 1e3 === 0) return `.${digits.slice(0, 6)}`;
  return `.${digits}`;
}

function timestampJson({ seconds = 0, nanos = 0 }) {
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${whole}${fraction(nanos)}Z`;
}

function durationJson({ seconds = 0, nanos = 0 }) {
  const negative = Number(seconds) < 0 || nanos < 0;
  return `${negative ? '-' : ''}${Math.abs(Number(seconds))}${fraction(Math.abs(nanos))}s`;
}

// protobufjs's own copy of struct.proto names Value's fields in lowerCamelCase
// (structValue, ...) even under keepCase; a copy loaded from a .proto file
// keeps snake_case. Either is read.
function kindOf(value, name) {
  const camel = name.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase());
  return value[camel] !== undefined && value[camel] !== null ? value[camel] : value[name];
}

function valueJson(value) {
  const struct = kindOf(value, 'struct_value');
  if (struct !== undefined && struct !== null) return structJson(struct);
  const list = kindOf(value, 'list_value');
  if (list !== undefined && list !== null) return (list.values || []).map(valueJson);
  for (const name of ['string_value', 'number_value', 'bool_value']) {
    const scalar = kindOf(value, name);
    if (scalar !== undefined && scalar !== null) return scalar;
  }
  return null;
}

function structJson(struct) {
  const out = {};
  for (const [key, value] of Object.entries(struct.fields || {})) out[key] = valueJson(value);
  return out;
}

const WELL_KNOWN = {
  '.google.protobuf.Timestamp': timestampJson,
  'google.protobuf.Timestamp': timestampJson,
  '.google.protobuf.Duration': durationJson,
  'google.protobuf.Duration': durationJson,
  '.google.protobuf.Value': valueJson,
  'google.protobuf.Value': valueJson,
  '.google.protobuf.Struct': structJson,
  'google.protobuf.Struct': structJson,
};

function camelCase(name) {
  return name.replace(/_([a-z0-9])/g, (_, letter) => letter.toUpperCase());
}

function isDefault(value) {
  return value === undefined || value === null || value === 0 || value === '0' ||
    value === '' || value === false || (Array.isArray(value) && value.length === 0) ||
    (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0 &&
     !(value instanceof Uint8Array));
}

// One field value (not repeated) of `field`, a protobufjs Field.
function fieldValueJson(field, value) {
  const type = field.resolvedType;
  if (type && type.values !== undefined) {  // An enum: by name (toObject gives names).
    return typeof value === 'number' ? type.valuesById[value] : value;
  }
  if (type) return messageJson(type, value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64'].includes(field.type)) {
    return String(value);
  }
  return value;
}

// `object` (a message of protobufjs Type `type`, as toObject or
// @grpc/proto-loader give it with keepCase) in the proto3 JSON mapping.
function messageJson(type, object) {
  const convert = WELL_KNOWN[type.fullName];
  if (convert) return convert(object);
  const out = {};
  for (const field of type.fieldsArray) {
    field.resolve();
    let value = object[field.name];
    if (isDefault(value)) continue;
    if (field.map) {
      const entries = {};
      for (const [key, item] of Object.entries(value)) entries[key] = fieldValueJson(field, item);
      value = entries;
    } else if (field.repeated) {
      value = value.map((item) => fieldValueJson(field, item));
    } else {
      value = fieldValueJson(field, value);
      // An enum at its zero value is a default too.
      if (field.resolvedType && field.resolvedType.values !== undefined &&
          field.resolvedType.values[value] === 0) {
        continue;
      }
    }
    out[(field.options && field.options.json_name) || camelCase(field.name)] = value;
  }
  return out;
}

module.exports = { messageJson };
