"""The error raised for bad input in any PaIR-format file."""


class PaIRFormatError(ValueError):
    """Bad input in an annotation, predictions, mask or image file.

    The message always names the file and the field, e.g.
    ``data/val.json: images[3].instances[1].bbox: x2 (12.0) < x1 (40.0)``.

    Args:
        file (str): the file that holds the bad input.
        field (str): where in it, as a path (``images[3].contact_mask``).
        message (str): what is wrong.
    """

    def __init__(self, file: str, field: str, message: str):
        self.file = str(file)
        self.field = field
        self.message = message
        super().__init__(f'{self.file}: {field}: {message}')

    def __reduce__(self):  # picklable, for dataloader workers
        return (type(self), (self.file, self.field, self.message))
