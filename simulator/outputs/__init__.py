"""The outputs layer: what people open. Figures, the HTML report, the Excel workbook,
sweep plots and terminal tables, all drawn from :class:`~simulator.results.Results` or a
study's table; nothing here simulates.

``figures.py`` holds the shared drawing pieces, ``plots.py`` one function per figure,
``labels.py`` metric and input rows for ``report.py`` and ``workbook.py``, ``text.py`` the
terminal tables, ``units.py`` money as text. Import the module you need: matplotlib,
openpyxl and pandas load only with the modules that use them.
"""
