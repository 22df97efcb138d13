"""`@valueclass`: what `@dataclass` gives funnel's value classes, made without `exec`.

On CPython 3.11 `@dataclass` compiles every method it writes (`__init__`, `__repr__`, `__eq__`, `__hash__`,
the frozen `__setattr__`/`__delattr__`) from source with a separate `exec`: about 0.7 ms a class, and the 26
classes a warm `funnel board` imports cost about 18 ms of a start-up of about 0.1 s. Here the same methods are
closures over the field names, made in microseconds. Only what funnel uses is supported, with dataclass's
meaning: fields from the class's annotations (a `ClassVar` is not one), a base value class's fields first,
defaults and `field(default_factory=…)`, `__post_init__`, `frozen=True` (assigning or deleting an attribute
raises FrozenInstanceError, an AttributeError; `__hash__` of the field values), otherwise unhashable as a
dataclass with `eq` is. A method the class writes itself is kept (a hot class writes its own `__init__`).

A leaf like errors.py: it imports nothing of funnel, so every layer, frontmatter included, may use it.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any, Callable

__all__ = ["valueclass", "field", "fields", "FrozenInstanceError"]


class FrozenInstanceError(AttributeError):
    """Assigning to, or deleting, an attribute of a frozen value (as dataclasses.FrozenInstanceError)."""


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]):
        self.make = make


def field(*, default_factory: Callable[[], Any]) -> Any:
    """A field whose default is made anew for each value (`field(default_factory=list)`)."""
    return _Factory(default_factory)


def fields(cls_or_value) -> tuple[str, ...]:
    """The names of a value class's fields, in `__init__`'s order."""
    return cls_or_value.__value_fields__


_NO_DEFAULT = object()


def valueclass(cls=None, /, *, frozen: bool = False):
    """`@valueclass` or `@valueclass(frozen=True)` on a class whose annotations name its fields."""
    if cls is None:
        return lambda cls: _make(cls, frozen)
    return _make(cls, frozen)


def _is_class_var(annotation) -> bool:
    text = annotation if isinstance(annotation, str) else repr(annotation)
    return text.split("[", 1)[0].strip() in ("ClassVar", "typing.ClassVar")


def _make(cls, frozen: bool):
    own = cls.__dict__
    defaults: dict[str, Any] = {}
    names: list[str] = []
    for base in reversed(cls.__mro__[1:]):
        if "__value_fields__" in base.__dict__:
            if base.__value_frozen__ != frozen:
                raise TypeError(f"{cls.__qualname__}: frozen and not frozen value classes do not inherit from "
                                "each other")
            for name in base.__value_fields__:
                if name not in names:
                    names.append(name)
            defaults.update(base.__value_defaults__)
    for name, annotation in own.get("__annotations__", {}).items():
        if _is_class_var(annotation):
            continue
        if name not in names:
            names.append(name)
        default = own.get(name, _NO_DEFAULT)
        if isinstance(default, _Factory):
            delattr(cls, name)  # as dataclasses: the class keeps no attribute for a field made by a factory
        elif default is not _NO_DEFAULT and type(default).__hash__ is None:
            raise ValueError(f"mutable default {type(default)} for field {name} is not allowed: "
                             "use default_factory")
        if default is _NO_DEFAULT:
            defaults.pop(name, None)
        else:
            defaults[name] = default
    for earlier, name in zip(names, names[1:]):
        if earlier in defaults and name not in defaults:
            raise TypeError(f"{cls.__qualname__}: non-default argument {name!r} follows default argument")
    names_tuple = tuple(names)
    cls.__value_fields__ = names_tuple
    cls.__value_defaults__ = defaults
    cls.__value_frozen__ = frozen
    cls.__match_args__ = names_tuple
    values = _values_of(names_tuple)
    _set_new(cls, "__init__", _init(cls, names_tuple, defaults))
    _set_new(cls, "__repr__", _repr(names_tuple))
    _set_new(cls, "__eq__", _eq(values))
    # a class body that writes __eq__ alone gets __hash__ = None from Python: that is no hash of its own
    own_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    if frozen:
        for method, written in (("__setattr__", "__setattr__" in own), ("__delattr__", "__delattr__" in own),
                                ("__hash__", own_hash)):
            if written:
                raise TypeError(f"cannot overwrite attribute {method} in frozen value class {cls.__qualname__}")
        cls.__setattr__, cls.__delattr__ = _frozen(cls, frozenset(names_tuple))
        cls.__hash__ = lambda self: hash(values(self))
    elif not own_hash:
        cls.__hash__ = None  # equal by value yet changeable: unhashable, as a dataclass with eq
    return cls


def _set_new(cls, name: str, method) -> None:
    if name not in cls.__dict__:
        method.__qualname__ = f"{cls.__qualname__}.{name}"
        setattr(cls, name, method)


def _values_of(names: tuple[str, ...]) -> Callable[[Any], tuple]:
    """The field values of a value as one tuple (by attrgetter: in C)."""
    if not names:
        return lambda self: ()
    if len(names) == 1:
        get_one = attrgetter(names[0])
        return lambda self: (get_one(self),)
    return attrgetter(*names)


def _init(cls, names: tuple[str, ...], defaults: dict[str, Any]):
    count = len(names)
    post_init = hasattr(cls, "__post_init__")
    # A field that a data descriptor holds (a slot, a property) must be set through it; any other goes
    # straight into the instance's __dict__, as dataclass's object.__setattr__ would put it.
    through_descriptor = "__slots__" in cls.__dict__ or any(
        hasattr(type(klass.__dict__[name]), "__set__")
        for name in names for klass in cls.__mro__ if name in klass.__dict__)
    set_attribute = object.__setattr__
    qualname = cls.__qualname__

    def __init__(self, *args, **kwargs):
        given = len(args)
        if given == count and not kwargs:
            chosen = zip(names, args)
        else:
            if given > count:
                raise TypeError(f"{qualname}.__init__() {_takes(count, defaults)} but {given + 1} were given")
            chosen = list(zip(names, args))
            missing = []
            for name in names[given:]:
                if name in kwargs:
                    value = kwargs.pop(name)
                else:
                    value = defaults.get(name, _NO_DEFAULT)
                    if value is _NO_DEFAULT:
                        missing.append(name)
                        continue
                    if isinstance(value, _Factory):
                        value = value.make()
                chosen.append((name, value))
            if kwargs:
                name = next(iter(kwargs))
                if name in names:
                    raise TypeError(f"{qualname}.__init__() got multiple values for argument {name!r}")
                raise TypeError(f"{qualname}.__init__() got an unexpected keyword argument {name!r}")
            if missing:
                raise TypeError(f"{qualname}.__init__() {_missing(missing)}")
        if through_descriptor:
            for name, value in chosen:
                set_attribute(self, name, value)
        else:
            self.__dict__.update(chosen)
        if post_init:
            self.__post_init__()

    return __init__


def _takes(count: int, defaults: dict) -> str:
    """Python's own words for too many arguments (self counted, as Python counts it)."""
    least = count - len(defaults)
    if least == count:
        return f"takes {count + 1} positional argument{'s' if count else ''}"
    return f"takes from {least + 1} to {count + 1} positional arguments"


def _missing(names: list[str]) -> str:
    quoted = [repr(name) for name in names]
    listed = quoted[0] if len(quoted) == 1 else (
        f"{quoted[0]} and {quoted[1]}" if len(quoted) == 2 else ", ".join(quoted[:-1]) + f", and {quoted[-1]}")
    return f"missing {len(names)} required positional argument{'s' if len(names) > 1 else ''}: {listed}"


def _repr(names: tuple[str, ...]):
    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__qualname__}({shown})"
    return __repr__


def _eq(values: Callable[[Any], tuple]):
    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented
    return __eq__


def _frozen(cls, names: frozenset[str]):
    def __setattr__(self, name, value):
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self, name):
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __setattr__, __delattr__
