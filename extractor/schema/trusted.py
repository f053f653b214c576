"""`trusted`: a model's constructor without validation, for the hot path's data our own code
makes valid by construction (cells read from text, missing cells, check results, the typed
tables). It builds what `model_construct` builds, at a fraction of its cost.
"""

from __future__ import annotations

from collections.abc import Callable
from keyword import iskeyword
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
_UNSET: Any = object()
# BaseModel's slots, set directly (pydantic's own __setattr__ would validate).
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def _unknown(cls: type[BaseModel], extra: dict[str, Any]) -> None:
    raise TypeError(f"{cls.__name__}: unknown fields {sorted(extra)}")


def trusted(cls: type[M]) -> Callable[..., M]:
    """A constructor of `cls` without validation, for the hot path's data that our own code
    makes valid by construction (a report builds ~200 cells; validating each costs more
    than reading it). It builds what `model_construct` builds (every field in declaration
    order, defaults for the ones not given, the given ones as the set fields) at a fraction
    of `model_construct`'s cost. The caller passes values of the declared types (enums for
    states, tuples for spans): the result then equals and serializes like the validated
    model. A missing required field or an unknown one is a TypeError, as in validation."""
    fields = cls.model_fields
    decorators = cls.__pydantic_decorators__
    if (any(f.alias or f.validation_alias for f in fields.values()) or cls.__pydantic_post_init__
            or decorators.field_validators or decorators.model_validators):
        raise TypeError(f"{cls.__name__} cannot be built without validation")
    if any(iskeyword(n) for n in fields):
        raise TypeError(f"{cls.__name__} has a field named by a Python keyword")
    # A function made for the model: keyword-only parameters (Python reports a missing
    # one), a sentinel default for each optional one to record which were given, the
    # fields in declaration order. Helper names start with "_": no field's name does.
    scope: dict[str, Any] = {"_unset": _UNSET, "_cls": cls, "_new": object.__new__,
                             "_set_dict": object.__setattr__, "_set_fields_set": _set_fields_set,
                             "_set_extra": _set_extra, "_set_private": _set_private,
                             "_unknown": _unknown}
    params, body = [], [f"    _given = {{{', '.join(repr(n) for n, f in fields.items() if f.is_required())}}}"
                        if any(f.is_required() for f in fields.values()) else "    _given = set()"]
    for i, (n, f) in enumerate(fields.items()):
        if f.is_required():
            params.append(n)
            continue
        params.append(f"{n}=_unset")
        if f.default_factory:
            scope[f"_factory{i}"] = f.default_factory
            default = f"_factory{i}()"
        else:
            scope[f"_default{i}"] = f.default
            default = f"_default{i}"
        body.append(f"    if {n} is _unset:\n        {n} = {default}\n"
                    f"    else:\n        _given.add({n!r})")
    items = ", ".join(f"{n!r}: {n}" for n in fields)
    name = f"new_{cls.__name__}" if cls.__name__.isidentifier() else "make"
    signature = ", ".join(["*", *params, "**_extra"] if params else ["**_extra"])
    exec(f"def {name}({signature}):\n"
         "    if _extra:\n        _unknown(_cls, _extra)\n"
         + "\n".join(body) + "\n"
         "    _m = _new(_cls)\n"
         f"    _set_dict(_m, '__dict__', {{{items}}})\n"
         "    _set_fields_set(_m, _given)\n    _set_extra(_m, None)\n    _set_private(_m, None)\n"
         "    return _m\n", scope)
    make: Callable[..., M] = scope[name]
    return make


def trusted_given(cls: type[M], given: tuple[str, ...]) -> Callable[..., M]:
    """`trusted(cls)` for one call pattern: a constructor that takes exactly the fields
    `given` (positionally or by name, all required) and leaves every other field at its
    default. It builds the same model as `trusted(cls)(**dict(zip(given, values)))` (the
    same field values in declaration order, `given` as the set fields) without testing
    which fields were passed: the hot path's cells are made by a few fixed call patterns,
    ~200 a report."""
    fields = cls.model_fields
    trusted(cls)  # the same conditions
    unknown = [n for n in given if n not in fields]
    missing = [n for n, f in fields.items() if f.is_required() and n not in given]
    if unknown or missing or len(set(given)) != len(given):
        raise TypeError(f"{cls.__name__}: cannot build from {given} (unknown {unknown}, "
                        f"missing {missing})")
    # The defaults of the fields not given, in declaration order (a given one's slot is
    # overwritten); a factory's default is made for every model.
    proto: dict[str, Any] = {}
    factories: list[str] = []
    scope: dict[str, Any] = {"_cls": cls, "_new": object.__new__, "_set_dict": object.__setattr__,
                             "_set_fields_set": _set_fields_set, "_set_extra": _set_extra,
                             "_set_private": _set_private}
    for i, (n, f) in enumerate(fields.items()):
        proto[n] = None
        if n in given:
            continue
        if f.default_factory:
            scope[f"_factory{i}"] = f.default_factory
            factories.append(f"    _d[{n!r}] = _factory{i}()")
        else:
            proto[n] = f.default
    scope["_proto"] = proto
    # Named by the fields it takes, so that each call pattern is told apart in a profile.
    name = (f"new_{cls.__name__}__{'_'.join(given)}" if cls.__name__.isidentifier()
            else "make")
    given_set = "{" + ", ".join(repr(n) for n in given) + "}" if given else "set()"
    exec(f"def {name}({', '.join(given)}):\n"
         "    _d = _proto.copy()\n"
         + "".join(f"    _d[{n!r}] = {n}\n" for n in given)
         + "".join(line + "\n" for line in factories)
         + "    _m = _new(_cls)\n"
         "    _set_dict(_m, '__dict__', _d)\n"
         f"    _set_fields_set(_m, {given_set})\n    _set_extra(_m, None)\n    _set_private(_m, None)\n"
         "    return _m\n", scope)
    make: Callable[..., M] = scope[name]
    return make
