"""`@valueclass`: what `@dataclass` gives funnel's value classes, made without `exec`.

On CPython 3.11 `@dataclass` compiles every method it writes (`__init__`, `__repr__`, `__eq__`, `__hash__`,
the frozen `__setattr__`/`__delattr__`) from source with a separate `exec`: about 0.7 ms a class, and the 26
classes a warm `funnel board` imports cost about 18 ms of a start-up of about 0.1 s. Here the same methods are
closures over the field names, made in microseconds. Only what funnel uses is supported, with dataclass's
meaning: fields from the class's annotations (a `ClassVar` is not one), a base value class's fields first,
defaults and `field(default=…, default_factory=…, init=…, repr=…)`, `__post_init__`, `order=True`,
`frozen=True` (assigning or deleting an attribute raises FrozenInstanceError, an AttributeError; `__hash__` of
the field values), otherwise unhashable as a dataclass with `eq` is. A method the class writes itself is kept
(a class made by the thousand writes its own `__init__`, and declares `__slots__` itself when it wants them).

A leaf like errors.py: it imports nothing of funnel, so every layer, frontmatter included, may use it.
"""

from __future__ import annotations

from operator import attrgetter
from types import MemberDescriptorType
from typing import Any, Callable

__all__ = ["valueclass", "field", "fields", "FrozenInstanceError"]

_NO_DEFAULT = object()


class FrozenInstanceError(AttributeError):
    """Assigning to, or deleting, an attribute of a frozen value (as dataclasses.FrozenInstanceError)."""


class _Field:
    __slots__ = ("default", "factory", "init", "repr")

    def __init__(self, default=_NO_DEFAULT, factory: Callable[[], Any] | None = None, init: bool = True,
                 repr: bool = True):
        self.default, self.factory, self.init, self.repr = default, factory, init, repr

    @property
    def optional(self) -> bool:
        return self.factory is not None or self.default is not _NO_DEFAULT

    def make(self):
        return self.default if self.factory is None else self.factory()


def field(*, default=_NO_DEFAULT, default_factory: Callable[[], Any] | None = None, init: bool = True,
          repr: bool = True) -> Any:
    """A field with more than a default: one made anew for each value (`default_factory=list`), one `__init__`
    does not take (`init=False`: its default is set), or one `__repr__` leaves out (`repr=False`)."""
    if default is not _NO_DEFAULT and default_factory is not None:
        raise ValueError("cannot specify both default and default_factory")
    return _Field(default, default_factory, init, repr)


def fields(cls_or_value) -> tuple[str, ...]:
    """The names of a value class's fields, in order (those `__init__` does not take included)."""
    return tuple(cls_or_value.__value_fields__)


def valueclass(cls=None, /, *, frozen: bool = False, order: bool = False):
    """`@valueclass` or `@valueclass(frozen=True, order=True)` on a class whose annotations name its fields."""
    if cls is None:
        return lambda cls: _make(cls, frozen, order)
    return _make(cls, frozen, order)


def _is_class_var(annotation) -> bool:
    text = annotation if isinstance(annotation, str) else repr(annotation)
    return text.split("[", 1)[0].strip() in ("ClassVar", "typing.ClassVar")


def _make(cls, frozen: bool, order: bool):
    own = cls.__dict__
    specs: dict[str, _Field] = {}  # a field declared again keeps its place, as in a dataclass
    for base in reversed(cls.__mro__[1:]):
        if "__value_fields__" in base.__dict__:
            if base.__value_frozen__ != frozen:
                raise TypeError(f"{cls.__qualname__}: frozen and not frozen value classes do not inherit from "
                                "each other")
            specs.update(base.__value_fields__)
    for name, annotation in own.get("__annotations__", {}).items():
        if _is_class_var(annotation):
            continue
        declared = own.get(name, _NO_DEFAULT)
        if isinstance(declared, MemberDescriptorType):  # the field's slot (the class declares __slots__)
            declared = _NO_DEFAULT
        spec = declared if isinstance(declared, _Field) else _Field(declared)
        if isinstance(declared, _Field):  # as dataclasses: the class keeps the default, or no attribute at all
            if spec.default is _NO_DEFAULT:
                delattr(cls, name)
            else:
                setattr(cls, name, spec.default)
        if spec.default is not _NO_DEFAULT and type(spec.default).__hash__ is None:
            raise ValueError(f"mutable default {type(spec.default)} for field {name} is not allowed: "
                             "use default_factory")
        specs[name] = spec
    taken = [name for name, spec in specs.items() if spec.init]
    for earlier, name in zip(taken, taken[1:]):
        if specs[earlier].optional and not specs[name].optional:
            raise TypeError(f"{cls.__qualname__}: non-default argument {name!r} follows default argument")
    names = tuple(specs)
    cls.__value_fields__ = specs
    cls.__value_frozen__ = frozen
    cls.__match_args__ = tuple(taken)
    values = _values_of(names)
    _set_new(cls, "__init__", _init(cls, specs))
    _set_new(cls, "__repr__", _repr(tuple(name for name, spec in specs.items() if spec.repr)))
    _set_new(cls, "__eq__", _compare(values, "__eq__"))
    if order:
        for method in ("__lt__", "__le__", "__gt__", "__ge__"):
            if method in own:
                raise TypeError(f"cannot overwrite attribute {method} in ordered value class {cls.__qualname__}")
            _set_new(cls, method, _compare(values, method))
    # a class body that writes __eq__ alone gets __hash__ = None from Python: that is no hash of its own
    own_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    if frozen:
        for method, written in (("__setattr__", "__setattr__" in own), ("__delattr__", "__delattr__" in own),
                                ("__hash__", own_hash)):
            if written:
                raise TypeError(f"cannot overwrite attribute {method} in frozen value class {cls.__qualname__}")
        cls.__setattr__, cls.__delattr__ = _frozen(cls, frozenset(names))
        cls.__hash__ = lambda self: hash(values(self))
        if "__slots__" in own:  # copy and pickle would set its slots through the guard
            getstate, setstate = _slot_state(names, values)
            _set_new(cls, "__getstate__", getstate)
            _set_new(cls, "__setstate__", setstate)
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


def _init(cls, specs: dict[str, _Field]):
    names = tuple(name for name, spec in specs.items() if spec.init)
    optional = {name: specs[name] for name in names if specs[name].optional}
    unasked = tuple((name, spec) for name, spec in specs.items() if not spec.init and spec.optional)
    count = len(names)
    post_init = hasattr(cls, "__post_init__")
    # A field that a data descriptor holds (a slot, a property) must be set through it; any other goes
    # straight into the instance's __dict__, as dataclass's object.__setattr__ would put it.
    through_descriptor = "__slots__" in cls.__dict__ or any(
        hasattr(type(klass.__dict__[name]), "__set__")
        for name in specs for klass in cls.__mro__ if name in klass.__dict__)
    set_attribute = object.__setattr__
    qualname = cls.__qualname__

    def __init__(self, *args, **kwargs):
        given = len(args)
        if given == count and not kwargs:
            chosen = zip(names, args)
        else:
            if given > count:
                raise TypeError(f"{qualname}.__init__() {_takes(count, len(optional))} but {given + 1} were "
                                "given")
            chosen = list(zip(names, args))
            missing = []
            for name in names[given:]:
                if name in kwargs:
                    chosen.append((name, kwargs.pop(name)))
                elif name in optional:
                    chosen.append((name, optional[name].make()))
                else:
                    missing.append(name)
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
            for name, spec in unasked:
                set_attribute(self, name, spec.make())
        else:
            held = self.__dict__
            held.update(chosen)
            for name, spec in unasked:
                held[name] = spec.make()
        if post_init:
            self.__post_init__()

    return __init__


def _takes(count: int, optional: int) -> str:
    """Python's own words for too many arguments (self counted, as Python counts it)."""
    if not optional:
        return f"takes {count + 1} positional argument{'s' if count else ''}"
    return f"takes from {count - optional + 1} to {count + 1} positional arguments"


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


_COMPARED = {"__eq__": tuple.__eq__, "__lt__": tuple.__lt__, "__le__": tuple.__le__, "__gt__": tuple.__gt__,
             "__ge__": tuple.__ge__}


def _compare(values: Callable[[Any], tuple], method: str):
    """`method` of two values of the same class: their field values compared as tuples, as a dataclass does."""
    compare = _COMPARED[method]

    def compared(self, other):
        if other.__class__ is self.__class__:
            return compare(values(self), values(other))
        return NotImplemented
    compared.__name__ = method
    return compared


def _slot_state(names: tuple[str, ...], values: Callable[[Any], tuple]):
    """A frozen value's state in slots as a list, and set back past the guard (as a dataclass does)."""
    def __getstate__(self):
        return list(values(self))

    def __setstate__(self, state):
        for name, value in zip(names, state):
            object.__setattr__(self, name, value)

    return __getstate__, __setstate__


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
