"""The error raised for bad input in any PaIR-format file."""
import re
from typing import Optional


def describe_image(image: Optional[dict]) -> str:
    """``"id 17, file_name 'images/0017.jpg'"`` for an ``images[i]`` entry (what of it
    is a valid id or name), or ``''``."""
    if not isinstance(image, dict):
        return ''
    parts = []
    image_id = image.get('id')
    if isinstance(image_id, int) and not isinstance(image_id, bool):
        parts.append(f'id {image_id}')
    name = image.get('file_name')
    if isinstance(name, str) and name:
        parts.append(f'file_name {name!r}')
    return ', '.join(parts)


class PaIRFormatError(ValueError):
    """Bad input in an annotation, predictions, mask or image file.

    The message always names the file and the field, and the image when the field lies
    inside one, e.g. ``data/val.json: images[3] (id 17, file_name 'images/0017.jpg'):
    instances[1].bbox: x2 (12.0) < x1 (40.0)``.

    Args:
        file (str): the file that holds the bad input.
        field (str): where in it, as a JSON path (``images[3].instances[1].bbox``).
        message (str): what is wrong.
        image (dict, optional): the ``images[i]`` entry (or predictions entry) the field
            lies in; its ``id`` and ``file_name`` are named after the field's first
            ``[i]``, which is what a user searches for in a large file.
    """

    def __init__(self, file: str, field: str, message: str, image: Optional[dict] = None):
        self.file = str(file)
        self.field = field
        self.message = message
        self.image = (None if image is None else {k: image.get(k) for k in ('id', 'file_name')})
        super().__init__(f'{self.file}: {self.located_field}: {message}')

    @property
    def located_field(self) -> str:
        """The field with the image named after its first ``[i]``."""
        description = describe_image(self.image)
        if not description:
            return self.field
        head = re.match(r'^(\w*\[\d+\])\.?(.*)$', self.field)
        if head is None:
            return f'{self.field} ({description})'
        rest = f': {head.group(2)}' if head.group(2) else ''
        return f'{head.group(1)} ({description}){rest}'

    def __reduce__(self):  # picklable, for dataloader workers
        return (type(self), (self.file, self.field, self.message, self.image))
